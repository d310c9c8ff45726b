//! The `monopco` service: configuration, the HTTP API, job handlers, the politeness and circuit
//! breakers of the OPCO portals, and the application that runs them with the worker fleet. `main.rs` only parses the command line and calls in here.

pub mod api;
pub mod app;
pub mod commands;
pub mod failpoint;
pub mod handlers;
pub mod politeness;
pub mod polling;
pub mod review;
pub mod settings;
pub mod telemetry;
pub mod vault;
