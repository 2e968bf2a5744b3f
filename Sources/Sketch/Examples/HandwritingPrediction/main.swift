// Graves' handwriting prediction network (arXiv:1308.0850, section 4) from the library's ops: an LSTM
// over pen offsets (dx, dy, pen lifted), a mixture density output of M bivariate Gaussians and a
// Bernoulli pen, trained with Adam on synthetic looping "handwriting", then sampled into an SVG.
// (The `sketch` command is the full tool: datasets, several layers, checkpoints; this is the model.)
//   swift run HandwritingPrediction [--steps N] [--svg FILE]
import Codegen
import Foundation

@MainActor func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("error: \(message)\n".utf8))
  exit(2)
}
let args = CommandLine.arguments
@MainActor func value(_ name: String) -> String? { args.firstIndex(of: name).map { $0 + 1 < args.count ? args[$0 + 1] : "" } }
guard let steps = Int(value("--steps") ?? "300"), steps > 0 else { fail("--steps takes a positive integer") }
let svgPath = value("--svg") ?? "handwriting-sample.svg"
let (H, M, T, B) = (64, 5, 80, 16)

var key = RandomKey(seed: 3)
@MainActor func parameter(_ name: String, _ shape: [Int]) -> Var {
  key = key.fold(1)
  return shared(shape.count == 1 ? .zeros(.float32, shape) : Initializer.glorotUniform(shape, key: key), name: name)
}
let (W, U, b) = (parameter("lstm/W", [3, 4 * H]), parameter("lstm/U", [H, 4 * H]), parameter("lstm/b", [4 * H]))
let (Wy, by) = (parameter("mdn/W", [H, 1 + 6 * M]), parameter("mdn/b", [1 + 6 * M]))
let parameters = [W, U, b, Wy, by]

@MainActor func lstm(_ x: Var, _ h: Var, _ c: Var) -> (h: Var, c: Var) {
  let a = matmul(x, W) + matmul(h, U) + b
  let (i, f, o) = (sigmoid(a[.all, ..<H]), sigmoid(a[.all, H..<(2 * H)]), sigmoid(a[.all, (2 * H)..<(3 * H)]))
  let c1 = f * c + i * tanh(a[.all, (3 * H)...])
  return (o * tanh(c1), c1)
}

/// The mixture's parameters from one output row [B, 1+6M] (Graves' eqs 18-22, with a bias `bias` for
/// sampling, eqs 61-62): pen logit, log weights, means, log deviations, correlations.
@MainActor func mixture(_ y: Var, bias: Double = 0) -> (pen: Var, logPi: Var, mu: (Var, Var), logSigma: (Var, Var), rho: Var) {
  let part = { (k: Int) in y[.all, (1 + k * M)..<(1 + (k + 1) * M)] }
  return (y[.all, 0..<1], logSoftmax(part(0) * (1 + bias)), (part(1), part(2)), (part(3) - bias, part(4) - bias), tanh(part(5)))
}

// The cost: the negative log-likelihood of each next point under the mixture, per point, masked.
let (strokes, mask) = (input("strokes", .float32, ["T1", "B", 3]), input("mask", .float32, ["T", "B"]))
let zeros = broadcast(constant(0, .float32), to: [.dim(strokes, 1), H])
let run = scan(sequences: ["x": strokes[..<(-1)], "next": strokes[1...]], carries: ["h": zeros, "c": zeros]) { s in
  let (h, c) = lstm(s["x"], s["h"], s["c"])
  let m = mixture(matmul(h, Wy) + by)
  let (x1, x2, pen) = (s["next"][.all, 0..<1], s["next"][.all, 1..<2], s["next"][.all, 2])
  let z1 = (x1 - m.mu.0) * exp(-m.logSigma.0)
  let z2 = (x2 - m.mu.1) * exp(-m.logSigma.1)
  let oneMinusRho2 = 1 - square(m.rho)
  let logN = -(square(z1) + square(z2) - 2 * m.rho * z1 * z2) / (2 * oneMinusRho2)
    - m.logSigma.0 - m.logSigma.1 - 0.5 * log(oneMinusRho2) - log(2 * Double.pi)
  let penLogit = m.pen[.all, 0]
  let penNLL = softplus(penLogit) - pen * penLogit  // -log Bernoulli(pen | sigmoid(logit))
  return ScanStepResult(carries: ["h": h, "c": c], outputs: ["nll": penNLL - logsumexp(m.logPi + logN, axes: [1])])
}
let cost = sum(run["nll"] * mask) / sum(mask)
let (grads, _) = clipByGlobalNorm(try grad(cost, wrt: parameters), maxNorm: 10)
let adam = try stepUpdates(.adam(learningRate: 5e-3), parameters: parameters, gradients: grads)
let train = try compile(inputs: [strokes, mask], outputs: [cost], updates: adam.updates)

/// B lines of looping pen motion (prolate cycloids of random size and slant) with a pen lift every
/// `word` points, as offsets; the lines have different lengths, padded and masked.
@MainActor func batch(_ seed: UInt64) -> [Tensor] {
  let r = Random.uniform(key: RandomKey(seed: seed), shape: [B, 4], dtype: .float64).array(Double.self)
  var (x, m) = ([Float](repeating: 0, count: (T + 1) * B * 3), [Float](repeating: 0, count: T * B))
  for j in 0..<B {
    let (size, slant, speed, n) = (0.6 + r[j * 4], r[j * 4 + 1] - 0.5, 0.5 + 0.3 * r[j * 4 + 2], T / 2 + Int(r[j * 4 + 3] * Double(T / 2)))
    let word = 12 + j % 5
    for t in 0...T where t <= n {
      let (a, a0) = (Double(t) * speed, Double(t - 1) * speed)
      let p = { (u: Double) in (0.35 * u - size * sin(u) + slant * size * cos(u), size * cos(u)) }
      let (q, q0) = (p(a), p(a0))
      let k = (t * B + j) * 3
      (x[k], x[k + 1], x[k + 2]) = (Float(q.0 - q0.0), Float(q.1 - q0.1), t % word == 0 ? 1 : 0)
      if t < n { m[t * B + j] = 1 }
    }
  }
  return [Tensor(shape: [T + 1, B, 3], x), Tensor(shape: [T, B], m)]
}

for step in 1...steps {
  let nll = try train.call(batch(UInt64(step)))[0].scalarValue
  if step == 1 || step % 50 == 0 || step == steps { print("step \(step) nll \(nll)") }
}

// Sampling: each point drawn from the mixture given the ones before (bias 1: neater strokes).
let sampleKey = input("key", .int32, [2])
let sampled = scan(steps: 300, carries: ["x": constant(Tensor(shape: [1, 3], [Float(0), 0, 1])), "h": constant(.zeros(.float32, [1, H])), "c": constant(.zeros(.float32, [1, H]))]) { s in
  let (h, c) = lstm(s["x"], s["h"], s["c"])
  let m = mixture(matmul(h, Wy) + by, bias: 1)
  let k = foldIn(sampleKey, s.index)
  let j = categorical(foldIn(k, 0), exp(m.logPi))  // the component, then a correlated normal from it
  let pick = { (v: Var) in takeAlong(v, j[.all, .newAxis], axis: 1) }
  let (n1, n2) = (randomNormal(foldIn(k, 1), shape: [1, 1]), randomNormal(foldIn(k, 2), shape: [1, 1]))
  let (s1, s2, rho) = (exp(pick(m.logSigma.0)), exp(pick(m.logSigma.1)), pick(m.rho))
  let dx = pick(m.mu.0) + s1 * n1
  let dy = pick(m.mu.1) + s2 * (rho * n1 + sqrt(1 - square(rho)) * n2)
  let pen = bernoulli(foldIn(k, 3), sigmoid(m.pen)).cast(.float32)
  let x = concatenate([dx, dy, pen], axis: 1)
  return ScanStepResult(carries: ["x": x, "h": h, "c": c], outputs: ["x": x])
}
let points = try compile(inputs: [sampleKey], outputs: [sampled["x"]])(RandomKey(seed: 11).tensor)[0].array(Float.self)

// The SVG: one path, pen lifts start a new subpath; written under a temporary name, then renamed.
var (px, py, d) = (0.0, 0.0, "M 0 0")
for t in 0..<300 {
  let (dx, dy, lift) = (Double(points[t * 3]), Double(points[t * 3 + 1]), points[t * 3 + 2] > 0.5)
  (px, py) = (px + dx * 10, py - dy * 10)
  d += String(format: lift ? " M %.2f %.2f" : " L %.2f %.2f", px, py)
}
let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"-20 -60 \(Int(max(px, 1)) + 40) 120\"><path d=\"\(d)\" fill=\"none\" stroke=\"black\"/></svg>\n"
do { try svg.write(toFile: svgPath + ".tmp", atomically: false, encoding: .utf8) } catch {
  fail("cannot write \(svgPath).tmp: \(error.localizedDescription)")
}
guard rename(svgPath + ".tmp", svgPath) == 0 else { fail("cannot rename \(svgPath).tmp to \(svgPath)") }
print("wrote \(svgPath) (300 points)")
