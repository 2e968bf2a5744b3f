// A masked bidirectional LSTM tagger: sequences of different lengths in one padded batch, a mask that
// keeps padding out of both directions and out of the cost. The task needs both directions: the tag of
// each token names its two neighbours, V * previous + next (0 beyond either end).
//   swift run BidirectionalTagger [--steps N]
import Codegen
import Foundation

let steps = CommandLine.arguments.firstIndex(of: "--steps").flatMap { i in
  i + 1 < CommandLine.arguments.count ? Int(CommandLine.arguments[i + 1]) : nil
} ?? 400
guard steps > 0 else {
  FileHandle.standardError.write(Data("error: --steps takes a positive integer\n".utf8))
  exit(2)
}
let (V, E, H, T, B) = (3, 8, 24, 12, 32)

var key = RandomKey(seed: 7)
@MainActor func parameter(_ name: String, _ shape: [Int]) -> Var {
  key = key.fold(1)
  return shared(shape.count == 1 ? .zeros(.float32, shape) : Initializer.glorotUniform(shape, key: key), name: name)
}
let embedding = parameter("embedding", [V, E])
// One LSTM per direction: input and recurrent weights for the four gates (i, f, o, g), a bias.
let lstms = ["forward", "backward"].map { d in (parameter("\(d)/W", [E, 4 * H]), parameter("\(d)/U", [H, 4 * H]), parameter("\(d)/b", [4 * H])) }
let (Wy, by) = (parameter("Wy", [2 * H, V * V]), parameter("by", [V * V]))
let parameters = [embedding, Wy, by] + lstms.flatMap { [$0.0, $0.1, $0.2] }

/// The hidden states of one direction over [T, B, E] inputs; where the mask is false the carries stay
/// as they were (so the backward pass starts at each sequence's own last token).
@MainActor func lstm(_ xs: Var, _ mask: Var, _ w: (Var, Var, Var), reverse: Bool) -> Var {
  let zeros = broadcast(constant(0, .float32), to: [.dim(xs, 1), H])
  return scan(sequences: ["x": xs], carries: ["h": zeros, "c": zeros], reverse: reverse, mask: mask) { s in
    let a = matmul(s["x"], w.0) + matmul(s["h"], w.1) + w.2
    let (i, f, o) = (sigmoid(a[.all, ..<H]), sigmoid(a[.all, H..<(2 * H)]), sigmoid(a[.all, (2 * H)..<(3 * H)]))
    let c = f * s["c"] + i * tanh(a[.all, (3 * H)...])
    let h = o * tanh(c)
    return ScanStepResult(carries: ["h": h, "c": c], outputs: ["h": h])
  }["h"]
}

let (tokens, tags, mask) = (input("tokens", .int32, ["T", "B"]), input("tags", .int32, ["T", "B"]), input("mask", .float32, ["T", "B"]))
let xs = take(embedding, tokens)  // [T, B, E]
let both = concatenate([lstm(xs, mask, lstms[0], reverse: false), lstm(xs, mask, lstms[1], reverse: true)], axis: 2)
let logits = matmul(both, Wy) + by  // [T, B, V * V]
let cost = sum(sparseSoftmaxCrossEntropy(logits: logits, labels: tags) * mask) / sum(mask)
let correct = sum(equal(argmax(logits, axis: -1), tags).cast(.float32) * mask) / sum(mask)
let adam = try stepUpdates(.adam(learningRate: 1e-2), parameters: parameters, gradients: try grad(cost, wrt: parameters))
let train = try compile(inputs: [tokens, tags, mask], outputs: [cost, correct], updates: adam.updates)
let evaluate = try compile(inputs: [tokens, tags, mask], outputs: [cost, correct])

/// A padded batch: lengths from 3 to T, tokens from a small generator, tags by the rule above.
@MainActor func batch(_ seed: Int) -> [Tensor] {
  var (x, y, m) = ([Int32](repeating: 0, count: T * B), [Int32](repeating: 0, count: T * B), [Float](repeating: 0, count: T * B))
  var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15
  func next() -> Int { state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return Int(state >> 33) }
  for b in 0..<B {
    let n = 3 + next() % (T - 2)
    let seq = (0..<n).map { _ in Int32(next() % V) }
    for t in 0..<n {
      let before = t > 0 ? seq[t - 1] : 0
      let after = t + 1 < n ? seq[t + 1] : 0
      (x[t * B + b], y[t * B + b], m[t * B + b]) = (seq[t], before * Int32(V) + after, 1)
    }
    for t in n..<T { x[t * B + b] = Int32(next() % V) }  // padding: random tokens the mask must hide
  }
  return [Tensor(shape: [T, B], x), Tensor(shape: [T, B], y), Tensor(shape: [T, B], m)]
}

for step in 1...steps {
  let out = try train.call(batch(step))
  if step == 1 || step % 100 == 0 { print("step \(step) cost \(out[0].scalarValue) accuracy \(out[1].scalarValue)") }
}
let heldOut = try evaluate.call(batch(1_000_003))
print("held-out cost \(heldOut[0].scalarValue) accuracy \(heldOut[1].scalarValue)")
