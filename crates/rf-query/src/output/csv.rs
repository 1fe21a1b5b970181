//! `-o csv`: nfdump 1.7.1's csv layout, byte for byte.
