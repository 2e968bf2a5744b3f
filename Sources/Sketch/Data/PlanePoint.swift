/// A point in a plane with y downward: font units for glyphs (``FontPoint``), millimetres from a
/// plotter page's top-left corner (``PagePoint``).
struct PlanePoint: Hashable {
  var x: Double
  var y: Double

  init(_ x: Double, _ y: Double) {
    self.x = x
    self.y = y
  }

  /// The straight-line distance to `other`, in the same units.
  func distance(to other: PlanePoint) -> Double {
    ((x - other.x) * (x - other.x) + (y - other.y) * (y - other.y)).squareRoot()
  }
}
