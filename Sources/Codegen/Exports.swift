@_exported import Optimizer
@_exported import Graph
@_exported import SketchRuntime
