//! Every event schema of the spec, synthesized from its examples, decodes as
//! its typed variant on its endpoint.

use super::*;

#[tokio::test]
async fn every_spec_event_schema_decodes_as_its_typed_variant_on_its_endpoint() {
    // Telemetry: one envelope per BrowserTelemetryEvent variant.
    let telemetry_members = union_members("BrowserTelemetryEvent", "type");
    let tags: BTreeSet<&str> = telemetry_members
        .iter()
        .map(|(tag, _)| tag.as_str())
        .collect();
    assert_eq!(
        tags,
        BrowserTelemetryEvent::TAGS.iter().copied().collect(),
        "spec and kernel-sys telemetry tags"
    );
    assert_eq!(telemetry_members.len(), 22);
    let envelopes: Vec<(String, Value)> = telemetry_members
        .iter()
        .enumerate()
        .map(|(i, (tag, schema))| {
            (
                tag.clone(),
                json!({"seq": i + 1, "event": example_of(schema)}),
            )
        })
        .collect();

    // The state unions: every member. The state event goes last: the
    // invocation example's `status` is `succeeded`, a terminal state.
    let union = |name: &str| -> Vec<(String, Value)> {
        let mut members: Vec<(String, Value)> = union_members(name, "event")
            .into_iter()
            .map(|(tag, schema)| (tag, example_of(&schema)))
            .collect();
        members.sort_by_key(|(tag, _)| tag.ends_with("_state"));
        members
    };
    let invocation = union("InvocationEvent");
    let deployment = union("DeploymentEvent");
    let auth = union("ManagedAuthEvent");
    assert_eq!(invocation.len(), 4);
    assert_eq!(deployment.len(), 5);
    assert_eq!(auth.len(), 3);

    // FileSystemEvent: one per `type`.
    let fs_example = example_of("FileSystemEvent");
    let fs_types = component("FileSystemEvent")["properties"]["type"]["enum"]
        .as_array()
        .unwrap()
        .clone();
    let fs: Vec<Value> = fs_types
        .iter()
        .map(|t| {
            let mut event = fs_example.clone();
            event["type"] = t.clone();
            event
        })
        .collect();
    assert_eq!(fs.len(), 4);

    // ProcessStreamEvent: output on each stream (bytes that are not UTF-8),
    // then the exit.
    let process_example = example_of("ProcessStreamEvent");
    let streams = component("ProcessStreamEvent")["properties"]["stream"]["enum"]
        .as_array()
        .unwrap()
        .clone();
    let outputs: Vec<(String, Vec<u8>)> = streams
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                s.as_str().unwrap().to_owned(),
                vec![0xff, 0x00, b'o', b'k', b'\n', 0x80 + i as u8],
            )
        })
        .collect();
    let mut process: Vec<Value> = outputs
        .iter()
        .map(|(stream, bytes)| {
            let mut event = process_example.clone();
            let map = event.as_object_mut().unwrap();
            map.remove("event");
            map.remove("exit_code");
            map.insert("stream".into(), json!(stream));
            map.insert("data_b64".into(), json!(b64(bytes)));
            event
        })
        .collect();
    let mut exit = process_example.clone();
    exit.as_object_mut()
        .unwrap()
        .retain(|k, _| k == "event" || k == "exit_code");
    let exit_code = exit["exit_code"].as_i64();
    assert_eq!(exit["event"], "exit");
    process.push(exit);

    let log = example_of("LogEvent");

    let routes = vec![
        (
            Ep::Telemetry.path("b"),
            vec![Sse::new()
                .evs(Ep::Telemetry, envelopes.iter().map(|(_, e)| e))
                .reply()],
        ),
        (
            Ep::Invocation.path("i"),
            vec![Sse::new()
                .evs(Ep::Invocation, invocation.iter().map(|(_, e)| e))
                .reply()],
        ),
        (
            Ep::Deployment.path("d"),
            vec![Sse::new()
                .evs(Ep::Deployment, deployment.iter().map(|(_, e)| e))
                .reply()],
        ),
        (
            Ep::Auth.path("c"),
            vec![Sse::new()
                .evs(Ep::Auth, auth.iter().map(|(_, e)| e))
                .reply()],
        ),
        (Ep::Fs.path("b"), vec![Sse::new().evs(Ep::Fs, &fs).reply()]),
        (
            Ep::Process.path("b"),
            vec![Sse::new().evs(Ep::Process, &process).reply()],
        ),
        (
            Ep::Logs.path("b"),
            vec![Sse::new().ev(Ep::Logs, &log).reply()],
        ),
    ];
    let server = Server::table(routes).await;
    // No reconnects (each server closes after its events), heartbeats shown.
    let kernel = client(
        &server.url,
        StreamOptions {
            reconnect: Some(false),
            heartbeats: true,
            ..options()
        },
    );
    let within = Duration::from_secs(10);

    // Telemetry.
    let items = drain(Ep::Telemetry.open(&kernel, "b").await, within).await;
    assert_eq!(items.len(), envelopes.len(), "{:#?}", describe(&items));
    for (item, (tag, sent)) in items.iter().zip(&envelopes) {
        let Ok(Item::Telemetry(Telemetry::Event(envelope))) = item else {
            panic!("{tag}: expected a telemetry event, got {item:?}");
        };
        let BrowserTelemetryEvent::Known(known) = &envelope.event else {
            panic!("{tag}: decoded as Unknown: {:?}", envelope.event);
        };
        assert_eq!(
            telemetry_tag(known),
            tag,
            "{tag}: decoded as the wrong variant"
        );
        assert_eq!(envelope.event.tag(), Some(tag.as_str()));
        assert_eq!(Some(envelope.seq.get()), sent["seq"].as_u64());
        assert_same_json(&serde_json::to_value(envelope).unwrap(), sent, tag);
    }

    // Invocation, deployment and auth events.
    for (ep, id, members) in [
        (Ep::Invocation, "i", &invocation),
        (Ep::Deployment, "d", &deployment),
        (Ep::Auth, "c", &auth),
    ] {
        let items = drain(ep.open(&kernel, id).await, within).await;
        assert_eq!(
            items.len(),
            members.len(),
            "{ep:?}: {:#?}",
            describe(&items)
        );
        for (item, (tag, sent)) in items.iter().zip(members) {
            match item {
                // An `error` event is an error item carrying its payload.
                Err(Error::Event(event)) => {
                    assert_eq!(tag, "error", "{ep:?}: unexpected error event");
                    assert_same_json(
                        &serde_json::to_value(event).unwrap(),
                        sent,
                        &format!("{ep:?} {tag}"),
                    );
                }
                Ok(item) => {
                    assert_eq!(
                        union_tag(item),
                        Some(tag.as_str()),
                        "{ep:?}: {tag} decoded as {item:?}"
                    );
                    assert_same_json(&item.json(), sent, &format!("{ep:?} {tag}"));
                }
                Err(e) => panic!("{ep:?} {tag}: {e}"),
            }
        }
    }

    // Filesystem events.
    let items = drain(Ep::Fs.open(&kernel, "b").await, within).await;
    assert_eq!(items.len(), fs.len(), "{:#?}", describe(&items));
    for (item, sent) in items.iter().zip(&fs) {
        let Ok(Item::Fs(event)) = item else {
            panic!("fs: {item:?}")
        };
        assert_eq!(event.type_.as_str(), sent["type"]);
        assert!(!event.type_.is_unknown());
        assert_same_json(&item.as_ref().unwrap().json(), sent, "FileSystemEvent");
    }

    // Process output, base64 decoded.
    let items = drain(Ep::Process.open(&kernel, "b").await, within).await;
    let mut expected: Vec<ProcessOutput> = outputs
        .iter()
        .map(|(stream, bytes)| ProcessOutput::Output {
            stream: ProcessStreamEventStream::from(stream.as_str()),
            data: Bytes::from(bytes.clone()),
        })
        .collect();
    expected.push(ProcessOutput::Exit { code: exit_code });
    let got: Vec<ProcessOutput> = items
        .into_iter()
        .map(|item| match item {
            Ok(Item::Process(output)) => output,
            other => panic!("process: {other:?}"),
        })
        .collect();
    assert_eq!(got, expected);
    assert!(matches!(
        &got[0],
        ProcessOutput::Output {
            stream: ProcessStreamEventStream::Stdout,
            ..
        }
    ));
    assert!(matches!(
        &got[1],
        ProcessOutput::Output {
            stream: ProcessStreamEventStream::Stderr,
            ..
        }
    ));

    // Logs.
    let items = drain(Ep::Logs.open(&kernel, "b").await, within).await;
    assert_eq!(items.len(), 1, "{:#?}", describe(&items));
    let Ok(Item::Log(event)) = &items[0] else {
        panic!("logs: {:?}", items[0])
    };
    assert_eq!(event.message, log["message"].as_str().unwrap());
    assert_same_json(&items[0].as_ref().unwrap().json(), &log, "LogEvent");

    // Every stream used exactly one connection, on the spec's path.
    for ep in Ep::ALL {
        let id = match ep {
            Ep::Invocation => "i",
            Ep::Deployment => "d",
            Ep::Auth => "c",
            _ => "b",
        };
        assert_eq!(server.count(&ep.path(id)), 1, "{ep:?} connections");
    }
    assert_eq!(
        server.conns(&Ep::Logs.path("b"))[0].query,
        "source=supervisor"
    );
}
