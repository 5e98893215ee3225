# concord_test_servers: throwaway database servers for tests (see postgres_server.h). Included
# (not add_subdirectory) so that both tests/servers/CMakeLists.txt and a connector's own test
# folder can pull it in; include_guard makes the second inclusion a no-op.
include_guard(GLOBAL)
add_library(concord_test_servers STATIC ${CMAKE_CURRENT_LIST_DIR}/postgres_server.cc
            ${CMAKE_CURRENT_LIST_DIR}/test_certificates.cc)
target_include_directories(concord_test_servers PUBLIC ${PROJECT_SOURCE_DIR}/tests)
target_compile_definitions(concord_test_servers
                           PRIVATE CONCORD_POSTGRES_SH="${CMAKE_CURRENT_LIST_DIR}/postgres.sh")
