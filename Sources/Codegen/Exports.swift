@_exported import Graph
@_exported import Optimizer
@_exported import SketchRuntime
@_exported import Training
