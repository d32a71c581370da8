# libFuzzer targets (docs/fuzzing.md), included by CMakeLists.txt with -DREGLAB_FUZZ=ON. Use a
# separate build folder and clang; tools/fuzz.sh does all of this:
#   CC=clang CXX=clang++ cmake -S . -B build-fuzz -DREGLAB_FUZZ=ON -DREGLAB_BUILD_TESTS=OFF
#   cmake --build build-fuzz --target fuzz_config fuzz_idx
# The framework library is compiled with coverage instrumentation for libFuzzer and with
# AddressSanitizer (leaks included) and UndefinedBehaviorSanitizer; the first finding aborts.
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "REGLAB_FUZZ needs clang and libFuzzer (Debian: clang-14 libclang-rt-14-dev);"
                      " configure a separate build folder with CC=clang CXX=clang++")
endif()

set(REGLAB_FUZZ_SANITIZERS address,undefined)
set(REGLAB_FUZZ_FLAGS -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
target_compile_options(framework PUBLIC -fsanitize=fuzzer-no-link,${REGLAB_FUZZ_SANITIZERS}
                                        ${REGLAB_FUZZ_FLAGS})
# Anything else linked against the instrumented library (the reglab binary) needs the runtimes.
target_link_options(framework INTERFACE -fsanitize=${REGLAB_FUZZ_SANITIZERS})

foreach(target fuzz_config fuzz_idx)
  add_executable(${target} tests/fuzz/${target}.cpp)
  target_link_libraries(${target} PRIVATE framework ZLIB::ZLIB)
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_compile_options(${target} PRIVATE ${REGLAB_WARNINGS})
  target_link_options(${target} PRIVATE -fsanitize=fuzzer,${REGLAB_FUZZ_SANITIZERS})
endforeach()
target_compile_definitions(fuzz_config PRIVATE REGLAB_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
