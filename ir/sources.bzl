"""The source files of //ir:core, shared with targets that compile them outside
the gcc toolchain (the clang-16 fuzzers), so that the lists cannot drift."""

IR_CORE_SRCS = [
    "Attribute.cpp",
    "Builder.cpp",
    "DType.cpp",
    "Graph.cpp",
    "Location.cpp",
    "Node.cpp",
    "OpRegistry.cpp",
    "Parameter.cpp",
    "PatternRewriter.cpp",
    "ShapeFunctions.cpp",
    "Type.cpp",
    "Verifier.cpp",
]

IR_CORE_HDRS = [
    "Attribute.h",
    "Builder.h",
    "DType.h",
    "Graph.h",
    "Location.h",
    "NameTable.h",
    "Node.h",
    "OpRegistry.h",
    "Parameter.h",
    "PatternRewriter.h",
    "ShapeFunctions.h",
    "Type.h",
    "Verifier.h",
]

IR_CORE_TEXTUAL_HDRS = ["Ops.def"]
