//! `NodeConfig::perf_map` (`warren run --perf-map`): Linux `perf` finds
//! the guest functions' names in `/tmp/perf-PID.map`.

use crate::common::*;
use warren_host::NodeConfig;

#[test]
fn a_perf_map_names_each_guest_function_where_its_code_lies() {
    let node = node_with(NodeConfig::default().schedulers(1).perf_map(true));
    let module = load(
        &node,
        "profiled",
        r#"(module
             (func $spin_a_little (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
             (func (export "main") (drop (call $spin_a_little (i32.const 41)))))"#,
    );
    finish_normally(&spawn(&node, &module, "main", b""));
    let map = std::env::temp_dir().join(format!("perf-{}.map", std::process::id()));
    let text = std::fs::read_to_string(&map).expect("the node wrote its perf map");
    let ours: Vec<(u64, u64, &str)> = text
        .lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, ' ');
            let start = u64::from_str_radix(fields.next()?, 16).ok()?;
            let size = u64::from_str_radix(fields.next()?, 16).ok()?;
            Some((start, size, fields.next()?))
        })
        .filter(|(_, _, name)| name.starts_with("profiled::"))
        .collect();
    let names: Vec<&str> = ours.iter().map(|&(_, _, name)| name).collect();
    assert!(names.contains(&"profiled::spin_a_little"), "{names:?}");
    assert_eq!(ours.len(), 2, "one line per function: {names:?}");
    // Two functions of one module: non-empty, apart, in one code section.
    let (a, b) = (ours[0], ours[1]);
    assert!(a.1 > 0 && b.1 > 0);
    assert!(a.0 + a.1 <= b.0 || b.0 + b.1 <= a.0, "{ours:?}");
    assert!(a.0.abs_diff(b.0) < 1 << 20, "{ours:?}");
}
