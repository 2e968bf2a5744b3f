import CCairo
import SketchRuntime

/// A failure to make a PDF: cairo's status message.
public struct PDFError: Error, CustomStringConvertible, Sendable {
  /// What went wrong (cairo's status text).
  public let message: String

  /// An error saying `message`.
  public init(_ message: String) { self.message = message }

  /// `PDF: MESSAGE`.
  public var description: String { "PDF: \(message)" }
}

/// A PDF of pages of strokes, drawn by cairo (Debian's libcairo2: `cairo_pdf_surface_create_for_stream`,
/// one `cairo_show_page` per page): vector lines, round caps and joins, black on the page's white.
public enum PDFWriter {
  /// The PDF's bytes: one page per entry of `pages`, each a list of strokes (x, y interleaved, in
  /// millimetres from the page's top-left corner, y downward) on a `width` x `height` mm page, drawn
  /// with a pen `penWidth` mm wide; `title` goes into the document's metadata.
  public static func pdf(
    pages: [[[Double]]], width: Double, height: Double, penWidth: Double, title: String = ""
  ) throws -> [UInt8] {
    let points = 72 / 25.4  // PDF units (points) per millimetre
    final class Sink { var bytes: [UInt8] = [] }
    let sink = Sink()
    let closure = Unmanaged.passRetained(sink)
    defer { closure.release() }
    let write: cairo_write_func_t = { context, data, length in
      guard let context, let data else { return CAIRO_STATUS_WRITE_ERROR }
      let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
      sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
      return CAIRO_STATUS_SUCCESS
    }
    guard let surface = cairo_pdf_surface_create_for_stream(write, closure.toOpaque(), width * points, height * points)
    else { throw PDFError("cairo could not create a PDF surface") }
    try check(cairo_surface_status(surface))
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "sketch write")
    if !title.isEmpty { cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title) }
    guard let cr = cairo_create(surface) else {
      cairo_surface_destroy(surface)
      throw PDFError("cairo could not create a drawing context")
    }
    cairo_scale(cr, points, points)  // user units are millimetres from here on
    cairo_set_line_width(cr, penWidth)
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND)
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
    cairo_set_source_rgb(cr, 0, 0, 0)
    for page in pages {
      for stroke in page where stroke.count >= 2 {
        cairo_move_to(cr, stroke[0], stroke[1])
        // A one-point stroke (a dot) is a zero-length line, which the round cap draws.
        if stroke.count == 2 { cairo_line_to(cr, stroke[0], stroke[1]) }
        for k in stride(from: 2, to: stroke.count - 1, by: 2) { cairo_line_to(cr, stroke[k], stroke[k + 1]) }
        cairo_stroke(cr)
      }
      cairo_show_page(cr)
    }
    let drawn = cairo_status(cr)
    cairo_destroy(cr)
    cairo_surface_finish(surface)
    let finished = cairo_surface_status(surface)
    cairo_surface_destroy(surface)
    try check(drawn)
    try check(finished)
    return sink.bytes
  }

  private static func check(_ status: cairo_status_t) throws {
    guard status == CAIRO_STATUS_SUCCESS else { throw PDFError(String(cString: cairo_status_to_string(status))) }
  }
}
