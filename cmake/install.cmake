# `cmake --install`: the reglab binary, libreglab.so, the public headers under
# include/reglab/framework/..., and a CMake package, so that a user's project can write
#
#   find_package(reglab CONFIG REQUIRED)
#   reglab_add_plugin(myreg SOURCES myreg.cpp)          # a plugin, or
#   target_link_libraries(mytool PRIVATE reglab::framework)   # a program using the library
include(CMakePackageConfigHelpers)

install(TARGETS framework EXPORT reglabTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/reglab)
install(TARGETS reglab RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Every header but the private ones: storage's HDF5 plumbing, the *_internal.hpp pieces, the CLI.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/framework/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/reglab/framework
        FILES_MATCHING PATTERN "*.hpp" PATTERN "hdf5_support.hpp" EXCLUDE
        PATTERN "hdf5_read.hpp" EXCLUDE PATTERN "hdf5_file_driver.hpp" EXCLUDE
        PATTERN "file_copy.hpp" EXCLUDE PATTERN "*_internal.hpp" EXCLUDE PATTERN "cli" EXCLUDE)

set(_reglab_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/reglab)
install(EXPORT reglabTargets NAMESPACE reglab:: DESTINATION ${_reglab_cmake_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/reglabConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/reglabConfig.cmake
                              INSTALL_DESTINATION ${_reglab_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/reglabConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/reglabConfig.cmake ${PROJECT_BINARY_DIR}/reglabConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/reglab_plugin.cmake
        DESTINATION ${_reglab_cmake_dir})
