import Codegen

extension HandwritingModel {
  /// The sampling graph: `steps` points for each of `batch` sequences, as [steps, batch, 3] offsets
  /// (dx, dy, pen), drawn from the model with Graves' bias `b` (sigma = exp(log-sigma − b), mixture
  /// weights = softmax(logits · (1 + b))).
  ///
  /// The first input is zeros. At step t the draws use keys derived from (key, t, draw): the mixture
  /// component (draw 0, inverse CDF of the weights), the two normals (draw 1), the pen (draw 2). So
  /// a fixed key gives the same strokes on every run and backend.
  func sampler(key: Var, steps: Int, batch: Int, bias: Var) -> Var {
    let c = config
    let D = c.dim
    let M = c.mixDim
    let zeroState = Tensor.zeros(.float32, [batch, D])
    var carries: [(String, Var)] = [("x", constant(Tensor.zeros(.float32, [batch, 3])))]
    for l in 0..<c.depth {
      carries.append(("h\(l)", constant(zeroState)))
      if !c.gru { carries.append(("c\(l)", constant(zeroState))) }
    }
    let componentIndex = constant(Tensor(shape: [1, M], (0..<M).map { Int32($0) }))
    let r = scan(sequenceList: [], carryList: carries, steps: constant(Tensor(scalar: Int32(steps)))) { s in
      let x = s["x"]
      var next: [String: Var] = [:]
      var states: [Var] = []
      for l in 0..<c.depth {
        let layer = self.layer(l)
        var inp = x
        if l > 0 { inp = (c.skip || c.top) ? concatenate([x, states[l - 1]], axis: 1) : states[l - 1] }
        let gx = matmul(inp, layer.W) + layer.b
        if c.gru {
          let h = layer.gruStep(gx, h: s["h\(l)"])
          next["h\(l)"] = h
          states.append(h)
        } else {
          let (h, cell) = layer.lstmStep(gx, h: s["h\(l)"], c: s["c\(l)"])
          next["h\(l)"] = h
          next["c\(l)"] = cell
          states.append(h)
        }
      }
      let readIn = concatenate(c.readoutLayers.map { states[$0] }, axis: 1)
      let y = matmul(readIn, self.param("readout/W")) + self.param("readout/b")
      let all = SliceRange.all
      let mean = reshape(y[all, 0..<(2 * M)], [-1, .n(M), 2])
      let sigma = exp(reshape(y[all, (2 * M)..<(4 * M)], [-1, .n(M), 2]) - bias)
      let corr = tanh(y[all, (4 * M)..<(5 * M)])
      let weight = softmax(y[all, (5 * M)..<(6 * M)] * (bias + 1), axis: -1)
      let pen = sigmoid(y[all, (6 * M)..<(6 * M + 1)])

      let stepKey = foldIn(key, s.index)
      let k = reshape(categorical(foldIn(stepKey, 0), weight), [-1, 1])
      let onehot = equal(k, componentIndex).cast(.float32)  // [B, M]
      let pick = reshape(onehot, [-1, .n(M), 1])
      let mu = sum(pick * mean, axes: [1])  // [B, 2]
      let sg = sum(pick * sigma, axes: [1])
      let rho = sum(onehot * corr, axes: [1], keepDims: true)  // [B, 1]
      let z = randomNormal(foldIn(stepKey, 1), shape: [.dim(x, 0), 2])
      let z1 = z[all, 0..<1]
      let z2 = z[all, 1..<2]
      let dx = mu[all, 0..<1] + sg[all, 0..<1] * z1
      let dy = mu[all, 1..<2] + sg[all, 1..<2] * (rho * z1 + sqrt(1 - rho * rho) * z2)
      let up = (randomUniform(foldIn(stepKey, 2), shape: [.dim(x, 0), 1]) < pen).cast(.float32)
      let xn = concatenate([dx, dy, up], axis: 1)
      next["x"] = xn
      return ScanStepResult(carries: next, outputs: ["x": xn])
    }
    return r["x"]
  }
}
