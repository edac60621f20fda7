//! `NodeConfig::perf_map` (`warren run --perf-map`): Linux `perf` finds
//! the guest functions' names in `/tmp/perf-PID.map`, and `objdump` their
//! machine code in `/tmp/perf-PID.MODULE.START.text`.

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
    // The module's code file: named for where the code lies, holding the
    // bytes each function has there.
    let prefix = format!("perf-{}.profiled.", std::process::id());
    let code_file = std::fs::read_dir(std::env::temp_dir())
        .expect("the temporary directory")
        .filter_map(|entry| entry.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .find(|name| name.starts_with(&prefix) && name.ends_with(".text"))
        .expect("the node wrote the module's code");
    let start = u64::from_str_radix(&code_file[prefix.len()..code_file.len() - ".text".len()], 16)
        .expect("the code's address in the file name");
    let code = std::fs::read(std::env::temp_dir().join(&code_file)).expect("the code file");
    for (function_start, size, name) in ours {
        let offset = (function_start - start) as usize;
        let in_file = code.get(offset..offset + size as usize).expect("the function lies in the file");
        // SAFETY: the module is loaded (the node holds it): its code is
        // mapped readable at the addresses the map gives, for `size` bytes.
        let in_memory = unsafe { std::slice::from_raw_parts(function_start as *const u8, size as usize) };
        assert_eq!(in_file, in_memory, "{name}");
    }
}
