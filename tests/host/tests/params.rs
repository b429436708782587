// SPDX-License-Identifier: GPL-2.0

//! The module's parameters as `modinfo` describes them against `config.rs`, where their defaults
//! and ranges live: `module!` takes each default from `Params::DEFAULT`, but its descriptions are
//! string literals, which must say the same.

use loadavg_rs_host::cgroup_metrics::SERIES_PER_CGROUP;
use loadavg_rs_host::config::{
    Params, MAX_ATTRIBUTE_KEYS, MAX_ATTRIBUTE_UNWINDS, MAX_CGROUPS, MAX_METRICS_CGROUPS,
    MAX_PERIOD_MS, MAX_TEST_STATE_DELAY_US, MIN_PERIOD_MS,
};

const MAIN: &str = include_str!("../../../rust/loadavg_rs_main.rs");

/// The description `module!` gives parameter `name`.
fn description(name: &str) -> &'static str {
    let start = MAIN
        .find(&format!("        {name}: u32 {{"))
        .unwrap_or_else(|| panic!("no parameter {name} in module!"));
    let rest = &MAIN[start..];
    let d = rest.find("description: \"").expect("a description") + "description: \"".len();
    let end = rest[d..].find('"').expect("its end");
    &MAIN[start + d..start + d + end]
}

#[test]
fn every_description_states_the_default_config_rs_has() {
    let d = Params::DEFAULT;
    for (name, default) in [
        ("period_ms", d.period_ms),
        ("window1_ms", d.windows_ms[0]),
        ("window2_ms", d.windows_ms[1]),
        ("window3_ms", d.windows_ms[2]),
        ("max_cgroups", d.max_cgroups),
        ("metrics_cgroups", d.metrics_cgroups),
        ("attribute_keys", d.attribute_keys),
        ("attribute_unwinds", d.attribute_unwinds),
        ("walker_fifo", d.walker_fifo),
        ("top_root_only", d.top_root_only),
        ("virtualize", d.virtualize),
    ] {
        let text = description(name);
        let stated = format!("default {default}");
        let at = text
            .find("default ")
            .unwrap_or_else(|| panic!("{name}: '{text}' states no default"));
        let figure: String = text[at + "default ".len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        assert_eq!(format!("default {figure}"), stated, "{name}: '{text}'");
    }
    // The tests-only parameters default to off, and say nothing of it.
    assert_eq!((d.test_hold_ms, d.test_state_delay_us), (0, 0));
}

#[test]
fn the_metrics_bound_states_its_series() {
    let d = Params::DEFAULT.metrics_cgroups as usize;
    let series = format!("{} series", d * SERIES_PER_CGROUP);
    let text = description("metrics_cgroups");
    assert!(text.contains(&series), "'{text}' does not state {series}");
}

#[test]
fn every_stated_range_is_config_rs_s() {
    for (name, range) in [
        ("period_ms", format!("{MIN_PERIOD_MS}..={MAX_PERIOD_MS}")),
        ("max_cgroups", format!("0..={MAX_CGROUPS}")),
        ("metrics_cgroups", format!("0..={MAX_METRICS_CGROUPS}")),
        ("attribute_keys", format!("0..={MAX_ATTRIBUTE_KEYS}")),
        ("attribute_unwinds", format!("0..={MAX_ATTRIBUTE_UNWINDS}")),
        ("test_hold_ms", format!("0..={MAX_PERIOD_MS}")),
        (
            "test_state_delay_us",
            format!("0..={MAX_TEST_STATE_DELAY_US}"),
        ),
        ("walker_fifo", "0..=1".to_string()),
        ("top_root_only", "0..=1".to_string()),
        ("virtualize", "0..=1".to_string()),
    ] {
        let text = description(name);
        assert!(
            text.contains(&range),
            "{name}: '{text}' does not state {range}"
        );
    }
}
