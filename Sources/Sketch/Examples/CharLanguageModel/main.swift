// A character-level language model (a GRU, as in char-rnn) trained on a text file with Adam, then
// sampled: written with the library's ops and training helpers only (docs/library.md has it beside
// the same model in JAX).   swift run CharLanguageModel FILE [--steps N] [--hidden H] [--seed S]
import Codegen
import Foundation

@MainActor func fail(_ message: String) -> Never { FileHandle.standardError.write(Data("error: \(message)\n".utf8)); exit(2) }
@MainActor func option(_ name: String, _ fallback: Int) -> Int {
  guard let i = CommandLine.arguments.firstIndex(of: name) else { return fallback }
  if i + 1 < CommandLine.arguments.count, let v = Int(CommandLine.arguments[i + 1]), v > 0 { return v }
  fail("\(name) takes a positive integer")
}
let (steps, H, T, B) = (option("--steps", 300), option("--hidden", 128), 64, 16)
guard CommandLine.arguments.count > 1, let text = try? String(contentsOfFile: CommandLine.arguments[1], encoding: .utf8),
  text.count > T + 1
else { fail("usage: CharLanguageModel FILE [--steps N] [--hidden H] [--seed S]; FILE: UTF-8, over \(T + 1) characters") }
let vocab = Array(Set(text)).sorted()
let index = Dictionary(uniqueKeysWithValues: vocab.enumerated().map { ($1, Int32($0)) })
let ids = text.map { index[$0]! }
let V = vocab.count

// The parameters: shared variables, Glorot-initialised (biases zero), each from its own key.
var key = RandomKey(seed: UInt64(option("--seed", 1)))
@MainActor func parameter(_ name: String, _ shape: [Int]) -> Var {
  key = key.fold(1)
  return shared(shape.count == 1 ? .zeros(.float32, shape) : Initializer.glorotUniform(shape, key: key), name: name)
}
let (Wx, Wh, b) = (parameter("Wx", [V, 3 * H]), parameter("Wh", [H, 3 * H]), parameter("b", [3 * H]))
let (Wy, by) = (parameter("Wy", [H, V]), parameter("by", [V]))

// One GRU step: the character's row of Wx (an embedding lookup), update and reset gates, new state.
@MainActor func gru(_ x: Var, _ h: Var) -> Var {
  let (gx, gh) = (take(Wx, x) + b, matmul(h, Wh))
  let z = sigmoid(gx[.all, ..<H] + gh[.all, ..<H])
  let r = sigmoid(gx[.all, H..<(2 * H)] + gh[.all, H..<(2 * H)])
  return (1 - z) * tanh(gx[.all, (2 * H)...] + r * gh[.all, (2 * H)...]) + z * h
}

// Training: the mean cross-entropy of every next character of a [T+1, B] batch, clipped, Adam.
let chars = input("chars", .int32, ["T1", "B"])
let run = scan(sequences: ["x": chars[..<(-1)], "y": chars[1...]], carries: ["h": broadcast(constant(0, .float32), to: [.dim(chars, 1), H])]) { s in
  let h = gru(s["x"], s["h"])
  return ScanStepResult(carries: ["h": h], outputs: ["loss": sparseSoftmaxCrossEntropy(logits: matmul(h, Wy) + by, labels: s["y"])])
}
let loss = mean(run["loss"])
let (grads, _) = clipByGlobalNorm(try grad(loss, wrt: [Wx, Wh, b, Wy, by]), maxNorm: 5)
let adam = try stepUpdates(.adam(learningRate: 3e-3), parameters: [Wx, Wh, b, Wy, by], gradients: grads)
let train = try compile(inputs: [chars], outputs: [loss], updates: adam.updates)

var times: [Double] = []
for step in 1...steps {
  var batch = [Int32](repeating: 0, count: (T + 1) * B)  // B windows at pseudo-random offsets
  for j in 0..<B {
    let o = ((step * B + j) * 7919) % (ids.count - T)
    for t in 0...T { batch[t * B + j] = ids[o + t] }
  }
  let start = Date()
  let value = try train(Tensor(shape: [T + 1, B], batch))[0].scalarValue
  times.append(Date().timeIntervalSince(start))
  if step == 1 || step % 50 == 0 || step == steps { print("step \(step) loss \(value)") }
}
print("median step \(times.sorted()[times.count / 2]) s (\(H) hidden, batch \(B) x \(T))")

// Sampling: 200 characters, each drawn from the softmax given the ones before (key: seed and step).
let (first, seed) = (input("first", .int32, [1]), input("key", .int32, [2]))
let sample = scan(steps: 200, carries: ["c": first, "h": broadcast(constant(0, .float32), to: [1, H])]) { s in
  let h = gru(s["c"], s["h"])
  let c = categorical(foldIn(seed, s.index), softmax(matmul(h, Wy) + by))
  return ScanStepResult(carries: ["c": c, "h": h], outputs: ["c": c])
}
let drawn = try compile(inputs: [first, seed], outputs: [sample["c"]])(Tensor([ids[0]]), key.tensor)[0]
print("sample: " + String([vocab[Int(ids[0])]] + drawn.array(Int32.self).map { vocab[Int($0)] }))
