import Graph
import SketchRuntime

/// Products as lists of factors (Theano's mul canonicalizer, reduced to what stabilisation needs).
///
/// A tree of `mul`, `div`, `neg` and scalar constants is read as `± scale · Πnum / Πden`. When a node
/// appears in both lists, the pair cancels and the product is rebuilt without it. When no pair
/// cancels but a factor is a sum one of whose terms divides by one of the other factors, the
/// product is distributed over the sum, and the new terms cancel in turn:
/// `(a/σ - b/(1-σ)) · σ · (1-σ)` → `a·(1-σ) - b·σ`, the sigmoid cross-entropy gradient, finite where
/// σ rounds to 0 or 1. The rule fires only when something cancels, so other products keep their
/// evaluation order (and their rounding).
enum Products {
  /// The most factors read from one product tree.
  static let maxFactors = 12
  /// The most terms a sum may have to be distributed over.
  static let maxTerms = 4

  struct Product {
    var negative = false
    var num: [Int] = []
    var den: [Int] = []
    var scale = 1.0
  }

  static func collect(_ e: GraphEditor, _ n: Int, _ p: inout Product, inverted: Bool, budget: inout Int) {
    func atom() {
      if inverted { p.den.append(n) } else { p.num.append(n) }
      budget -= 1
    }
    guard budget > 1 else { return atom() }
    let op = e.op(n)
    if case .binary(.mul) = op {
      collect(e, e.arg(n, 0), &p, inverted: inverted, budget: &budget)
      collect(e, e.arg(n, 1), &p, inverted: inverted, budget: &budget)
    } else if case .binary(.div) = op {
      collect(e, e.arg(n, 0), &p, inverted: inverted, budget: &budget)
      collect(e, e.arg(n, 1), &p, inverted: !inverted, budget: &budget)
    } else if case .unary(.neg) = op {
      p.negative.toggle()
      collect(e, e.arg(n, 0), &p, inverted: inverted, budget: &budget)
    } else if case .constant(let t) = op, t.rank == 0, t.doubles[0] != 0, t.doubles[0].isFinite {
      p.scale = inverted ? p.scale / t.doubles[0] : p.scale * t.doubles[0]
    } else {
      atom()
    }
  }

  static func product(_ e: GraphEditor, _ n: Int) -> Product {
    var p = Product()
    var budget = maxFactors
    collect(e, n, &p, inverted: false, budget: &budget)
    return p
  }

  /// Builds `± scale · Πnum / Πden` at `n`'s location, in `n`'s dtype.
  static func build(_ e: GraphEditor, _ p: Product, at n: Int) throws -> Int {
    let dt = e.type(n).dtype
    var r: Int? = p.num.isEmpty ? nil : p.num[0]
    for f in p.num.dropFirst() { r = try e.make(n, .binary(.mul), [r!, f]) }
    if p.scale != 1 || r == nil {
      let c = e.constant(p.scale, dt, location: e.location(n))
      r = try r.map { try e.make(n, .binary(.mul), [$0, c]) } ?? c
    }
    if var d = p.den.first {
      for f in p.den.dropFirst() { d = try e.make(n, .binary(.mul), [d, f]) }
      r = try e.make(n, .binary(.div), [r!, d])
    }
    if p.negative { r = try e.make(n, .unary(.neg), [r!]) }
    return r!
  }

  /// The cancel-factors rule.
  @Sendable static func cancel(_ e: GraphEditor, _ n: Int) throws -> Int? {
    guard e.isFloat(n), e.binary(n, .mul) != nil || e.binary(n, .div) != nil else { return nil }
    var p = product(e, n)
    var cancelled = 0
    for d in p.den {
      if let k = p.num.firstIndex(of: d), let j = p.den.firstIndex(of: d) {
        p.num.remove(at: k)
        p.den.remove(at: j)
        cancelled += 1
      }
    }
    if cancelled > 0 {
      let r = try build(e, p, at: n)
      return e.type(r).shape == e.type(n).shape ? r : nil
    }
    return try distribute(e, n, p)
  }

  /// The terms of a sum tree (through `add`/`sub` nodes read only here), with their signs.
  static func terms(_ e: GraphEditor, _ s: Int, negative: Bool, _ out: inout [(Int, Bool)]) {
    let inner = { (x: Int) in e.useCount(x) == 1 && (e.binary(x, .add) != nil || e.binary(x, .sub) != nil) }
    if let (a, b) = e.binary(s, .add) {
      inner(a) ? terms(e, a, negative: negative, &out) : out.append((a, negative))
      inner(b) ? terms(e, b, negative: negative, &out) : out.append((b, negative))
    } else if let (a, b) = e.binary(s, .sub) {
      inner(a) ? terms(e, a, negative: negative, &out) : out.append((a, negative))
      inner(b) ? terms(e, b, negative: !negative, &out) : out.append((b, !negative))
    }
  }

  static func distribute(_ e: GraphEditor, _ n: Int, _ p: Product) throws -> Int? {
    for (k, s) in p.num.enumerated() where e.useCount(s) == 1 && (e.binary(s, .add) != nil || e.binary(s, .sub) != nil)
    {
      var ts: [(Int, Bool)] = []
      terms(e, s, negative: false, &ts)
      guard ts.count <= maxTerms else { continue }
      var rest = p
      rest.num.remove(at: k)
      let cancels = ts.contains { t, _ in product(e, t).den.contains { rest.num.contains($0) } }
      guard cancels else { continue }
      var sum: Int? = nil
      for (t, negative) in ts {
        var q = rest
        q.num.insert(t, at: 0)
        let term = try build(e, q, at: n)
        if let s0 = sum {
          sum = try e.make(n, .binary(negative ? .sub : .add), [s0, term])
        } else {
          sum = negative ? try e.make(n, .unary(.neg), [term]) : term
        }
      }
      guard let r = sum, e.type(r).shape == e.type(n).shape else { return nil }
      return r
    }
    return nil
  }
}
