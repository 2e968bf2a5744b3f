import Foundation

/// The per-line parameters of the built-in handwriting generator, drawn once per line from the ranges
/// of the dataset recipe (docs/data.md) (font units: x-height 9).
struct HandStyle {
  /// Extra slant (tan of the angle, positive leans right) on top of the font's own lean.
  var slant: Double
  var xStretch: Double
  /// Rotation of the whole line in radians.
  var rotation: Double
  var sineAmplitude: Double
  var sineWavelength: Double
  var sinePhase: Double
  /// Standard deviations of the per-letter scale, shear and width factors.
  var letterScaleSD: Double
  var letterShearSD: Double
  var letterWidthSD: Double
  /// Per-letter baseline drift, an AR(1) process with coefficient 0.7 and this innovation sd.
  var driftSD: Double
  /// Letter spacing factor and its per-letter standard deviation.
  var spacing: Double
  var spacingSD: Double
  /// Word space factor (the space is 16 units x this x N(1, 0.15)).
  var wordSpace: Double
  /// Gaussian corner rounding (sd along the path, units).
  var roundingSigma: Double
  /// Low-pass position noise: amplitude and correlation length along the path.
  var noiseAmplitude: Double
  var noiseCorrelation: Double
  /// Probability that a letter's exit joins the next letter's entry stroke.
  var joinProbability: Double
  /// Probability of a connector over the top into a, c, d, g, o, q.
  var connectorProbability: Double
  /// Probability that an i/j dot or t/x cross is drawn after the word.
  var delayProbability: Double
  /// Strokes of capitals, digits and punctuation closer than this are joined without lifting the pen.
  var joinGap: Double
  /// Pen travel per digitiser sample at full speed (units).
  var step: Double
  /// Relative amplitude, wavelength (units) and phase of slow speed changes.
  var speedVariation: Double
  var speedWavelength: Double
  var speedPhase: Double

  init(random: inout RandomStream) {
    slant = random.uniform(-0.30, 0.25)
    xStretch = random.uniform(0.8, 1.2)
    rotation = random.normal(0, 0.02)
    sineAmplitude = random.uniform(0, 1)
    sineWavelength = random.uniform(80, 250)
    sinePhase = random.uniform(0, 2 * .pi)
    letterScaleSD = random.uniform(0.03, 0.09)
    letterShearSD = random.uniform(0, 0.08)
    letterWidthSD = random.uniform(0, 0.08)
    driftSD = random.uniform(0.2, 0.7)
    spacing = random.uniform(0.88, 1.08)
    spacingSD = random.uniform(0.02, 0.08)
    wordSpace = random.uniform(0.6, 1.1)
    roundingSigma = random.uniform(0.5, 1.0)
    noiseAmplitude = random.uniform(0.15, 0.55)
    noiseCorrelation = random.uniform(2, 6)
    joinProbability = random.uniform(0.75, 1.0)
    connectorProbability = random.uniform(0, 0.8)
    delayProbability = random.uniform(0.2, 1.0)
    joinGap = random.uniform(5, 9)
    step = random.uniform(1.9, 2.6)
    speedVariation = random.uniform(0.05, 0.2)
    speedWavelength = random.uniform(20, 60)
    speedPhase = random.uniform(0, 2 * .pi)
  }

  /// The ranges the parameters are drawn from, for the dataset's `generator_parameters` attribute.
  static let ranges: [(String, String)] = [
    ("slant", "U(-0.30, 0.25) tan, on top of the font's lean"),
    ("x_stretch", "U(0.8, 1.2)"),
    ("rotation", "N(0, 0.02) rad"),
    ("baseline_sine", "amplitude U(0, 1), wavelength U(80, 250), phase U(0, 2pi)"),
    ("letter_scale_sd", "U(0.03, 0.09)"),
    ("letter_shear_sd", "U(0, 0.08)"),
    ("letter_width_sd", "U(0, 0.08)"),
    ("baseline_drift", "AR(1) coefficient 0.7, sd U(0.2, 0.7) per letter"),
    ("letter_spacing", "U(0.88, 1.08) with per-letter sd U(0.02, 0.08)"),
    ("word_space", "16 x U(0.6, 1.1) x N(1, 0.15)"),
    ("corner_rounding_sigma", "U(0.5, 1.0)"),
    ("position_noise", "amplitude U(0.15, 0.55), correlation length U(2, 6)"),
    ("join_probability", "U(0.75, 1.0)"),
    ("connector_over_top_probability", "U(0, 0.8) into a, c, d, g, o, q"),
    (
      "delayed_dots_and_crosses_probability",
      "U(0.2, 1.0), only when the jump back is at most \(Int(HersheyWriter.delayReach)) units"
    ),
    ("join_gap_capitals_digits", "U(5, 9)"),
    (
      "digitiser_step",
      "U(1.9, 2.6) units at full speed, speed (1 + 10 curvature)^(-1/3), slower at "
        + "stroke ends, slow changes +-U(5, 20)% over U(20, 60) units; x10 and rounded"
    ),
    ("units", "font units (x-height 9) x 10, rounded to integers; y grows downward"),
  ]
}
