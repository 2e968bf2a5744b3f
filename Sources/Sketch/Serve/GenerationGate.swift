import Dispatch
import Foundation

/// The bound on the server's generations: at most `slots` run at once (each on its own thread, with
/// its own compiled writer), at most `maxWaiting` more wait for a slot, and each request gets an
/// answer within its time limit.
///
/// A request that finds every slot busy and `maxWaiting` requests already waiting is refused at once
/// (``Refusal/busy``). A request not finished within the time limit is answered with
/// ``Refusal/timedOut``; a job already running is not interrupted (the sampler has no safe point to
/// stop at), it finishes on its thread and only then frees its slot, so the number of running
/// generations stays bounded. A request that times out while still waiting never starts.
final class GenerationGate: @unchecked Sendable {
  /// Why a request was not run.
  enum Refusal: Error, Equatable {
    /// Every slot busy and the waiting line full.
    case busy(running: Int, waiting: Int)
    /// No answer within the time limit (seconds).
    case timedOut(seconds: Double)
  }

  let slots: Int
  let maxWaiting: Int
  private let lock = NSLock()
  private var free: [Int]
  /// Waiting requests in arrival order: each is started with the slot it is given.
  private var waiting: [(id: UInt64, start: (Int) -> Void)] = []
  private var nextID: UInt64 = 0
  private let queues: [DispatchQueue]

  init(slots: Int, maxWaiting: Int) {
    precondition(slots >= 1 && maxWaiting >= 0)
    self.slots = slots
    self.maxWaiting = maxWaiting
    free = Array((0..<slots).reversed())
    queues = (0..<slots).map { DispatchQueue(label: "sketch.serve.generation.\($0)") }
  }

  /// The number of generations running and waiting now.
  var load: (running: Int, waiting: Int) {
    lock.withLock { (slots - free.count, waiting.count) }
  }

  /// Runs `job` with the index of a free slot, on that slot's thread; waits for a slot when all are
  /// busy, and answers within `timeout` seconds.
  func run<T: Sendable>(timeout: Double, _ job: @escaping @Sendable (Int) throws -> T) async throws -> T {
    let answer = Answer<T>()
    return try await withCheckedThrowingContinuation { continuation in
      answer.set(continuation)
      let start: (Int) -> Void = { slot in
        guard !answer.isDone else {  // timed out while waiting: give the slot to the next one
          self.release(slot)
          return
        }
        self.queues[slot].async {
          let result = Result(catching: { try job(slot) })
          self.release(slot)
          answer.resume(result)
        }
      }
      let id: UInt64
      do { id = try enter(start) } catch {
        answer.resume(.failure(error))
        return
      }
      DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
        self.leave(id)
        answer.resume(.failure(Refusal.timedOut(seconds: timeout)))
      }
    }
  }

  /// Starts `start` with a free slot now, or puts it in the waiting line; throws when the line is full.
  private func enter(_ start: @escaping (Int) -> Void) throws -> UInt64 {
    lock.lock()
    nextID += 1
    let id = nextID
    if let slot = free.popLast() {
      lock.unlock()
      start(slot)
      return id
    }
    guard waiting.count < maxWaiting else {
      let load = (slots - free.count, waiting.count)
      lock.unlock()
      throw Refusal.busy(running: load.0, waiting: load.1)
    }
    waiting.append((id, start))
    lock.unlock()
    return id
  }

  /// Takes request `id` out of the waiting line (when it is still there).
  private func leave(_ id: UInt64) {
    lock.withLock { waiting.removeAll { $0.id == id } }
  }

  /// Gives `slot` to the first waiting request, or marks it free.
  private func release(_ slot: Int) {
    lock.lock()
    if waiting.isEmpty {
      free.append(slot)
      lock.unlock()
    } else {
      let next = waiting.removeFirst()
      lock.unlock()
      next.start(slot)
    }
  }
}

/// A continuation resumed once: by the job's result or by the time limit, whichever comes first.
private final class Answer<T: Sendable>: @unchecked Sendable {
  private let lock = NSLock()
  private var continuation: CheckedContinuation<T, Error>?
  private var done = false

  func set(_ c: CheckedContinuation<T, Error>) { lock.withLock { continuation = c } }

  var isDone: Bool { lock.withLock { done } }

  func resume(_ result: Result<T, Error>) {
    let c: CheckedContinuation<T, Error>? = lock.withLock {
      guard !done else { return nil }
      done = true
      defer { continuation = nil }
      return continuation
    }
    c?.resume(with: result)
  }
}
