//! Inputs shared by the benchmarks, built the same way for every crate measured.
