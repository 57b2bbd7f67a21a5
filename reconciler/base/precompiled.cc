// Builds the precompiled header every target reuses (CMakeLists.txt,
// CMK_PRECOMPILED_HEADERS): the standard headers and nlohmann/json, which
// nearly every file includes. Defines nothing.
