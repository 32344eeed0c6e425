# Compile flags of the fuzzing build (-DMLOPT_ENABLE_FUZZERS=ON, see
# docs/Fuzzing.md), included by the top-level CMakeLists.txt before any
# target: every project source gets libFuzzer's coverage instrumentation,
# AddressSanitizer and UndefinedBehaviorSanitizer (any UB aborts), and the
# fuzz targets in fuzz/ link libFuzzer itself. Asserts stay on (-UNDEBUG),
# in the project's code and in the LLVM/MLIR headers it inlines.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "MLOPT_ENABLE_FUZZERS needs clang (libFuzzer): "
    "configure a separate build directory with "
    "-DCMAKE_CXX_COMPILER=clang++-22 -DCMAKE_C_COMPILER=clang-22, "
    "as scripts/fuzz.sh does")
endif()
# clang 22 flags libstdc++ 12's own use of std::get_temporary_buffer (in
# std::stable_sort); the gcc build reports deprecations in project code.
add_compile_options(-Wno-deprecated-declarations)
set(MLOPT_FUZZ_SANITIZERS "address,undefined" CACHE STRING
  "Sanitizers of the fuzzing build (-fsanitize=...)")
add_compile_options(-fsanitize=fuzzer-no-link,${MLOPT_FUZZ_SANITIZERS}
  -fno-sanitize-recover=all -fno-omit-frame-pointer -gline-tables-only
  -UNDEBUG)
add_link_options(-fsanitize=${MLOPT_FUZZ_SANITIZERS})
