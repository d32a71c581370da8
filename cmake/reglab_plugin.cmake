# reglab_add_plugin(NAME SOURCES file.cpp ... [LINK_LIBRARIES lib ...])
#
# Builds a reglab plugin: a shared object lib<NAME>.so that `plugins:` in a run configuration or
# `reglab run --plugin` loads (docs/plugins.md). It compiles with reglab's headers, language
# standard and the compile options libreglab.so was built with (architecture and sanitizer
# flags), and links against libreglab.so, whose copy the reglab process already has loaded.
# Works in reglab's own tree and, after find_package(reglab CONFIG REQUIRED), in any project.
function(reglab_add_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "" "SOURCES;LINK_LIBRARIES")
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "reglab_add_plugin(${name}): no SOURCES")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "reglab_add_plugin(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE reglab::framework ${ARG_LINK_LIBRARIES})
  set_target_properties(${name} PROPERTIES PREFIX "lib" SUFFIX ".so" CXX_EXTENSIONS OFF
                        POSITION_INDEPENDENT_CODE ON)
  # A plugin must resolve every symbol it uses when it is built, not when reglab loads it.
  target_link_options(${name} PRIVATE "LINKER:--no-undefined")
endfunction()
