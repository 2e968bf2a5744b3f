@_exported import Graph
