import Codegen
import Foundation

/// The dataset file used when the user names none (made on first use).
func defaultDatasetPath() throws -> String {
  throw ConfigError(message: "the built-in dataset is not available yet (data work in progress)")
}

/// The batches of the dataset named in `settings`.
func openBatches(_ settings: TrainingSettings) throws -> BatchSource {
  throw ConfigError(message: "dataset loading is not available yet (data work in progress)")
}
