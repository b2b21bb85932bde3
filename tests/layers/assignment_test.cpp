// Batch dispatch (layers/assignment.hpp).
#include "layers/assignment.hpp"

#include <gtest/gtest.h>
