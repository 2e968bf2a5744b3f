@_exported import Graph
@_exported import Optimizer
@_exported import SketchRuntime
