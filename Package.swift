// swift-tools-version: 6.0
// Sketch: a static-graph compiler for recurrent models (see README.md and docs/).
import PackageDescription

let package = Package(
  name: "Sketch",
  products: [
    .executable(name: "sketch", targets: ["Sketch"]),
    // `import Codegen` re-exports Training, Optimizer, Graph and Runtime: the whole user API.
    // OpenBLAS and libc only (HDF5 and PNG are the app's: SketchFiles).
    .library(name: "SketchCompiler", targets: ["SketchRuntime", "Graph", "Training", "Optimizer", "Codegen"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
    .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    // `sketch serve`: the local web page's HTTP server (SwiftNIO underneath).
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
    // `make docs`: DocC reference of the library (the plugin only; nothing links it).
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
  ],
  targets: [
    // System libraries from Debian (libopenblas-dev, libhdf5-dev, libpng-dev); see docs/toolchain notes.
    .systemLibrary(
      name: "CBLAS", path: "Sources/Runtime/CBLAS", pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(
      name: "CHDF5", path: "Sources/Sketch/Files/CHDF5", pkgConfig: "hdf5-serial",
      providers: [.apt(["libhdf5-dev"])]),
    .systemLibrary(
      name: "CPNG", path: "Sources/Sketch/Files/CPNG", pkgConfig: "libpng",
      providers: [.apt(["libpng-dev"])]),
    // Cairo draws the PDF of `sketch write --file` (all pages in one file).
    .systemLibrary(
      name: "CCairo", path: "Sources/Sketch/Files/CCairo", pkgConfig: "cairo",
      providers: [.apt(["libcairo2-dev"])]),
    // The scalar maths both backends run (float32 exp/log/tanh/sigmoid, Philox, pow...): one C header
    // that the interpreter calls and that generated C starts with (its text embedded with #embed).
    .target(name: "CSketchScalar", path: "Sources/Runtime/CSketchScalar"),
    // MPI for data-parallel training (`sketch train --distributed`): Open MPI's libmpi loaded with
    // dlopen at run time, so nothing of MPI is needed to build (docs/distributed.md).
    .target(name: "CSketchMPI", path: "Sources/Runtime/CSketchMPI"),
    // The native backend's worker threads (C: chunks taken from a shared counter, bounded adaptive
    // spinning, then futex sleep); the runtime uses its count of the CPUs available for OpenBLAS's default.
    .target(name: "CWorkerPool", path: "Sources/Codegen/CWorkerPool"),
    // The float32 product generated code calls (packed panels, an AVX-512 micro-kernel; OpenBLAS where
    // it does not apply), built once with the executable and handed to each loaded library.
    .target(name: "CSketchGemm", path: "Sources/Codegen/CSketchGemm"),
    // The files of `sketch serve`'s page (HTML, JavaScript, CSS), embedded in the executable at build
    // time (C23 #embed): the server reads nothing from disk to serve them.
    .target(name: "CSketchPage", path: "Sources/Sketch/Serve/Page"),
    // The module built from Sources/Runtime is SketchRuntime (the toolchain has a module named Runtime).
    .target(
      name: "SketchRuntime",
      dependencies: [
        "CBLAS", "CSketchScalar", "CWorkerPool", .product(name: "RealModule", package: "swift-numerics"),
      ],
      path: "Sources/Runtime", exclude: ["CBLAS", "CSketchScalar", "CSketchMPI"]),
    .target(name: "Graph", dependencies: ["SketchRuntime"], exclude: ["Training"]),
    // Training helpers beside the graph (like optax beside JAX): step rules, clipping, initialisers.
    .target(name: "Training", dependencies: ["Graph"], path: "Sources/Graph/Training"),
    .target(name: "Optimizer", dependencies: ["Graph"]),
    .target(
      name: "Codegen", dependencies: ["Optimizer", "Training", "CWorkerPool", "CSketchGemm"],
      exclude: ["CWorkerPool", "CSketchGemm"]),
    // HDF5, PNG and PDF files: the app's datasets, checkpoints and images (the library links none of them).
    .target(
      name: "SketchFiles", dependencies: ["SketchRuntime", "CHDF5", "CPNG", "CCairo"], path: "Sources/Sketch/Files",
      exclude: ["CHDF5", "CPNG", "CCairo"]),
    .executableTarget(
      name: "Sketch",
      dependencies: [
        "Codegen", "SketchFiles", "CSketchMPI", "CSketchPage",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "Logging", package: "swift-log"),
      ],
      exclude: ["Files", "Examples", "Serve/Page"]),
    // Example programs written with the library alone (docs/library.md); built and run by the tests.
    .executableTarget(
      name: "CharLanguageModel", dependencies: ["Codegen"], path: "Sources/Sketch/Examples/CharLanguageModel"),
    .executableTarget(
      name: "BidirectionalTagger", dependencies: ["Codegen"], path: "Sources/Sketch/Examples/BidirectionalTagger"),
    .executableTarget(
      name: "HandwritingPrediction", dependencies: ["Codegen"],
      path: "Sources/Sketch/Examples/HandwritingPrediction"),
    .target(name: "TestSupport", dependencies: ["Codegen"], path: "Tests/TestSupport"),
    .testTarget(
      name: "SketchTests",
      dependencies: [
        "Codegen", "SketchFiles", "TestSupport", "Sketch",
        .product(name: "PropertyBased", package: "swift-property-based"),
      ],
      exclude: ["Snapshots"], resources: [.copy("Fixtures")]),
  ]
)
