import SketchRuntime

/// Gradient rules: for each primitive, the gradients of its inputs given the gradient `g` of its output.
extension Var {
  /// One entry per input; nil where no gradient flows (integer inputs, piecewise-constant ops, keys).
  public func pullback(_ g: Var) -> [Var?] {
    SourceLocation.override(location) { pullbackRule(g) }
  }

  private func pullbackRule(_ g: Var) -> [Var?] {
    let x = inputs.first
    switch op {
    case .input, .constant, .shared:
      return []
    case .unary(let f):
      return [f.gradient(x: x!, y: self, g: g)]
    case .binary(let f):
      let (ga, gb) = f.gradient(a: inputs[0], b: inputs[1], y: self, g: g)
      return [ga.map { sumToShape($0, like: inputs[0]) }, gb.map { sumToShape($0, like: inputs[1]) }]
    case .select:
      let zero = literal(0, like: g)
      return [
        nil, sumToShape(select(inputs[0], g, zero), like: inputs[1]),
        sumToShape(select(inputs[0], zero, g), like: inputs[2]),
      ]
    case .cast:
      return [x!.dtype.isFloatingPoint ? g.cast(x!.dtype) : nil]
    case .reduce(let f, let axes, let keep):
      let gk = keep ? g : keepDimsShape(g, reducedOver: axes, of: x!)
      let gb = broadcast(gk, like: x!)
      switch f {
      case .sum: return [gb]
      case .max, .min:
        let yk = keep ? self : keepDimsShape(self, reducedOver: axes, of: x!)
        return [gb * equal(x!, broadcast(yk, like: x!)).cast(g.dtype)]
      }
    case .argmax, .size, .stopGradient, .random, .foldKey, .scan, .tupleElement:
      return inputs.map { _ in nil }
    case .fused, .gemm:
      // Only the optimizer makes these, after differentiation.
      let message = "\(op.name) is not differentiable after optimization: differentiate before compiling"
      return inputs.map { _ in failed("grad", message, [self], at: location) }
    case .matmul(let ta, let tb):
      return matmulGradient(inputs[0], inputs[1], g, ta, tb)
    case .transpose(let p):
      var inv = [Int](repeating: 0, count: p.count)
      for (i, a) in p.enumerated() { inv[a] = i }
      return [transpose(g, inv)]
    case .reshape:
      return [Graph.reshape(g, shapeOf(x!))] + inputs.dropFirst().map { _ in nil }
    case .broadcast:
      return [sumToShape(g, like: x!)] + inputs.dropFirst().map { _ in nil }
    case .slice(let ranges):
      return [incSlice(zerosLike(x!), ranges, g)]
    case .updateSlice(let ranges, let acc):
      let gx = acc ? g : setSlice(g, ranges, literal(0, like: g))
      return [gx, sumToShape(slice(g, ranges), like: inputs[1])]
    case .concat(let axis):
      return inputs.indices.map { i in apply(.concatPart(axis: axis, index: i), [g] + inputs, at: .current) }
    case .concatPart(let axis, let index):
      let parts = inputs.dropFirst().enumerated().map { j, p in j == index ? g : zerosLike(p) }
      return [concatenate(Array(parts), axis: axis)] + inputs.dropFirst().map { _ in nil }
    case .take(let axis):
      return [apply(.takeGrad(axis: axis), [x!, inputs[1], g], at: .current), nil]
    case .takeGrad(let axis):
      return [nil, nil, take(g, inputs[1], axis: axis)]
    }
  }
}

/// g reshaped to the keepDims form of a reduction of `x` over `axes`.
func keepDimsShape(_ g: Var, reducedOver axes: [Int], of x: Var) -> Var {
  let spec: [ShapeSpec] = x.shape.enumerated().map { i, d in
    axes.contains(i) ? .n(1) : (d.fixedValue.map { .n($0) } ?? .dim(x, i))
  }
  return reshape(g, spec)
}

/// Sums `g` over the axes that broadcasting added or stretched, so it has `x`'s shape.
public func sumToShape(_ g: Var, like x: Var) -> Var {
  if g.shape == x.shape { return g }
  var r = g
  let extra = g.rank - x.rank
  if extra > 0 { r = sum(r, axes: Array(0..<extra)) }
  let axes = (0..<x.rank).filter { x.shape[$0].isOne && !r.shape[$0].isOne }
  if !axes.isEmpty { r = sum(r, axes: axes, keepDims: true) }
  if r.shape != x.shape { r = reshape(r, shapeOf(x)) }
  return r
}

private func matmulGradient(_ a: Var, _ b: Var, _ g: Var, _ ta: Bool, _ tb: Bool) -> [Var?] {
  if a.rank > 2 && b.rank == 2 {
    // Batched A against a shared 2-D B (ta is false here): flatten the batch into rows for dB.
    let ga = matmul(g, b, transposeB: !tb)
    let a2 = reshape(a, [-1, a.shape[a.rank - 1].fixedValue.map { .n($0) } ?? .dim(a, a.rank - 1)])
    let g2 = reshape(g, [-1, g.shape[g.rank - 1].fixedValue.map { .n($0) } ?? .dim(g, g.rank - 1)])
    let gb = tb ? matmul(g2, a2, transposeA: true) : matmul(a2, g2, transposeA: true)
    return [ga, gb]
  }
  switch (ta, tb) {
  case (false, false): return [matmul(g, b, transposeB: true), matmul(a, g, transposeA: true)]
  case (true, false): return [matmul(b, g, transposeB: true), matmul(a, g)]
  case (false, true): return [matmul(g, b), matmul(g, a, transposeA: true)]
  case (true, true):
    return [matmul(b, g, transposeA: true, transposeB: true), matmul(g, a, transposeA: true, transposeB: true)]
  }
}
