import Codegen

/// The handwriting prediction network: stacked LSTMs and a mixture-density readout.
///
/// This is the model of shared/peers/README.md (no skip connections, zero initial states). The full
/// option set of the original command line (GRU, skip, top, dropout) belongs to the trainer.
struct HandwritingModel {
  let layers: [LSTMLayer]
  let outW: Var  // [D, 6M+1]
  let outB: Var  // [6M+1]
  let mdn: MixtureDensity

  /// The masked training cost `sum(mask * nll) / B` for strokes x [T+1, B, 3] and mask [T, B],
  /// and the per-step NLL [T, B].
  func cost(strokes x: Var, mask: Var?) -> (cost: Var, nll: Var) {
    let inputs = x[..<(-1)]
    let targets = x[1...]
    var hs = inputs
    for layer in layers { hs = layer(hs, mask: mask) }
    let D = layers.last!.dim
    let y = matmul(reshape(hs, [-1, .n(D)]), outW) + outB
    let nll = reshape(mdn.negativeLogLikelihood(y, reshape(targets, [-1, 3])), [.dim(inputs, 0), .dim(inputs, 1)])
    let weighted = mask.map { nll * $0 } ?? nll
    return (sum(weighted) / size(x, axes: [1]), nll)
  }
}
