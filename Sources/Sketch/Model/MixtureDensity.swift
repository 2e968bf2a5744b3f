import Codegen

/// The mixture-density output of Graves (2013), with the cost of udibr/sketch.
///
/// The readout `y` has `6M + 1` columns: means `[0, 2M)` (component m's x and y at 2m, 2m+1),
/// log sigmas `[2M, 4M)` laid out the same way, correlations `[4M, 5M)` (tanh), mixture weights
/// `[5M, 6M)` (softmax) and the pen-up logit `6M` (sigmoid).
struct MixtureDensity {
  let components: Int
  let epsilon: Double

  /// The parameters of the mixture for readout rows `y` [N, 6M+1]; with Graves' sampling bias `bias`
  /// (one per row, [N]): sigma = exp(log-sigma − b), weights = softmax(logits · (1 + b)).
  func split(_ y: Var, bias: Var? = nil) -> (mean: Var, sigma: Var, corr: Var, weight: Var, pen: Var) {
    let M = components
    let all = SliceRange.all
    let mean = reshape(y[all, 0..<(2 * M)], [-1, .n(M), 2])
    let logSigma = reshape(y[all, (2 * M)..<(4 * M)], [-1, .n(M), 2])
    let sigma = exp(bias.map { logSigma - $0[.all, .newAxis, .newAxis] } ?? logSigma)
    let corr = tanh(y[all, (4 * M)..<(5 * M)])
    let logits = y[all, (5 * M)..<(6 * M)]
    let weight = softmax(bias.map { logits * (1 + $0[.all, .newAxis]) } ?? logits, axis: -1)
    let pen = sigmoid(y[all, (6 * M)..<(6 * M + 1)])
    return (mean, sigma, corr, weight, pen)
  }

  /// The negative log-likelihood [N] of targets [N, 3] (dx, dy, pen) under readout rows y [N, 6M+1].
  ///
  /// Exactly the per-step NLL of udibr/sketch (docs/native.md, "The benchmark model"), epsilon included.
  func negativeLogLikelihood(_ y: Var, _ target: Var) -> Var {
    let (mean, sigma, corr, weight, pen) = split(y)
    let eps = epsilon
    let all = SliceRange.all
    let d = reshape(target[all, 0..<2], [-1, 1, 2]) - mean  // [N, M, 2]
    let d0 = d[all, all, 0]
    let d1 = d[all, all, 1]
    let sigma2 = sigma[all, all, 0] * sigma[all, all, 1] + eps
    let z = sum(d * d / (sigma * sigma), axes: [-1]) - 2 * corr * d0 * d1 / sigma2
    let corr1 = 1 - corr * corr + eps
    var n = -z / (2 * corr1)
    let nmax = max(n, axes: [-1], keepDims: true)
    n = exp(n - nmax) / (2 * Double.pi * sigma2 * sqrt(corr1))
    let t = target[all, 2..<3]
    var nll = -log(sum(n * weight, axes: [-1], keepDims: true) + eps) - nmax
    nll = nll - (t * log(pen) + (1 - t) * log(1 - pen))
    return reshape(nll, [-1])
  }
}
