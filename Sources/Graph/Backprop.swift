import SketchRuntime

/// Reverse-mode accumulation: the core of `grad` and of scan's gradient (which differentiates bodies).
///
/// Given seeds (an output and its cotangent), walks every variable between `wrt` and the seeds backwards,
/// asks each op for its gradient rule and adds up the contributions of every use. Multi-output nodes
/// (scan) receive one cotangent per output through their `tupleElement` projections.
public func backpropagate(seeds: [(Var, Var)], wrt: [Var]) -> [Var?] {
  var order: [Var] = []
  var seen = Set<ObjectIdentifier>()
  for (root, _) in seeds where !seen.contains(ObjectIdentifier(root)) {
    for v in topologicalOrder(root) where seen.insert(ObjectIdentifier(v)).inserted { order.append(v) }
  }
  // `order` is topological per root; merge by id so inputs always precede users across roots.
  order.sort { $0.id < $1.id }
  let targets = Set(wrt.map(ObjectIdentifier.init))
  var onPath = Set<ObjectIdentifier>()
  for v in order {
    let id = ObjectIdentifier(v)
    if targets.contains(id) || v.inputs.contains(where: { onPath.contains(ObjectIdentifier($0)) }) {
      onPath.insert(id)
    }
  }
  // contributions[node][output index]
  var contributions: [ObjectIdentifier: [Int: [Var]]] = [:]
  for (root, g) in seeds { contributions[ObjectIdentifier(root), default: [:]][0, default: []].append(g) }
  var total: [ObjectIdentifier: Var] = [:]
  func sumParts(_ parts: [Var], _ at: SourceLocation) -> Var {
    SourceLocation.with(at) { parts.dropFirst().reduce(parts[0], +) }
  }
  for v in order.reversed() {
    let id = ObjectIdentifier(v)
    guard onPath.contains(id), let byOutput = contributions[id] else { continue }
    let local: [Var?]
    if case .scan(let spec) = v.op {
      let outGrads = (0..<spec.outputTypes.count).map { k in byOutput[k].map { sumParts($0, v.location) } }
      local = scanPullback(v, spec: spec, outputGradients: outGrads)
    } else {
      let g = sumParts(byOutput[0]!, v.location)
      total[id] = g
      guard v.dtype.isFloatingPoint, !v.inputs.isEmpty else { continue }
      if case .tupleElement(let k) = v.op {
        contributions[ObjectIdentifier(v.inputs[0]), default: [:]][k, default: []].append(g)
        continue
      }
      local = v.pullback(g)
    }
    for (input, gi) in zip(v.inputs, local) {
      guard let gi, onPath.contains(ObjectIdentifier(input)), input.dtype.isFloatingPoint || isTuple(input) else {
        continue
      }
      contributions[ObjectIdentifier(input), default: [:]][0, default: []].append(gi)
    }
  }
  return wrt.map { total[ObjectIdentifier($0)] }
}

func isTuple(_ v: Var) -> Bool {
  if case .scan = v.op { return true }
  return false
}

/// Every variable `root` depends on, inputs before the variables that use them.
public func topologicalOrder(_ root: Var) -> [Var] {
  var order: [Var] = []
  var seen = Set<ObjectIdentifier>()
  var stack: [(Var, Int)] = [(root, 0)]
  seen.insert(ObjectIdentifier(root))
  while let (v, next) = stack.popLast() {
    if next < v.inputs.count {
      stack.append((v, next + 1))
      let child = v.inputs[next]
      if seen.insert(ObjectIdentifier(child)).inserted { stack.append((child, 0)) }
    } else {
      order.append(v)
    }
  }
  return order
}
