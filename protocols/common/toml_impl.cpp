// toml++ is header-only; compiling its implementation once here keeps every other file fast.
#define TOML_IMPLEMENTATION
#include <toml++/toml.h>
