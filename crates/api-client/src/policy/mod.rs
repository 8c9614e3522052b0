//! The resilience policy shared by every upstream: when to retry and how long to wait
//! ([`retry`]), and when to stop calling an upstream that is down ([`breaker`]). Pure logic with
//! the clock and randomness passed in, so every rule is tested without a network or a sleep.

pub mod breaker;
pub mod retry;
