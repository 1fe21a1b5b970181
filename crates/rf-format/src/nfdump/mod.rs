//! Reader for nfdump flow files (nfdump 1.6 layout 1 and 1.7 layout 2).
