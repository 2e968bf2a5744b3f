import Codegen
