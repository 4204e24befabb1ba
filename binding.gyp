{
  "targets": [
    {
      "target_name": "jielong",
      "sources": ["<!@(node scripts/native-sources.mjs)"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-march=native", "-fopenmp-simd", "-fno-math-errno", "-fno-trapping-math", "-fexceptions", "-Wall", "-Wno-unknown-pragmas"],
      "ldflags": ["-pthread"]
    }
  ]
}
