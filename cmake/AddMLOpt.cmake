# CMake helpers of the mlopt project.

# add_mlopt_library(name ...): add_mlir_library(name ...) whose target goes
# into the project's own export set, MLOptTargets, rather than MLIR's (whose
# package config would then come out empty for mlopt; see CIRCT's
# AddCIRCT.cmake). Takes add_mlir_library's arguments.
function(add_mlopt_library name)
  add_mlir_library(${name} ${ARGN} DISABLE_INSTALL)
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  install(TARGETS ${name} EXPORT MLOptTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    COMPONENT mlopt)
  set_property(GLOBAL APPEND PROPERTY MLOPT_EXPORTED_LIBRARIES ${name})
endfunction()

# add_mlopt_tool(name sources...): an executable installed into bin/.
function(add_mlopt_tool name)
  add_llvm_executable(${name} ${ARGN})
  llvm_update_compile_flags(${name})
  install(TARGETS ${name} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    COMPONENT mlopt)
endfunction()
