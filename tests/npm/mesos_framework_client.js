// Conformance check with a third-party client: the npm `mesos-framework` scheduler library
// subscribes to our local cluster (JSON API), receives offers, launches one command task and
// exits 0 once it sees TASK_FINISHED (1 on error or after 60 s).
// Usage: node mesos_framework_client.js MASTER_PORT
"use strict";
var mf = require("mesos-framework");
var Mesos = mf.Mesos.getMesos();
var port = parseInt(process.argv[2], 10);
var seen = [];
var offersSeen = 0;

var scheduler = new mf.Scheduler({
    masterUrl: "127.0.0.1",
    port: port,
    frameworkName: "npm-conformance",
    masterConnectionTimeout: 30, // seconds; must exceed the 15 s heartbeat
    logging: { level: "warn" },
    restartStates: [],
    tasks: {
        hello: {
            priority: 1,
            instances: 1,
            commandInfo: new Mesos.CommandInfo(null, null, true, "echo hello-from-npm > npm-output.txt", null, null),
            resources: { cpus: 0.1, mem: 32, ports: 1, disk: 0 }
        }
    }
});

function done(code, why) {
    console.log((code === 0 ? "OK: " : "FAIL: ") + why + " (states: " + seen.join(",") + ", offers: " + offersSeen + ")");
    try { scheduler.teardown(); } catch (e) { /* best effort */ }
    setTimeout(function () { process.exit(code); }, 300);
}

scheduler.on("subscribed", function (obj) { console.log("subscribed as " + obj.frameworkId); });
scheduler.on("offers", function () { offersSeen++; });
scheduler.on("update", function (update) {
    var st = update.status || update;
    seen.push(st.state);
    if (st.state === "TASK_FINISHED") done(0, "task finished");
    if (["TASK_FAILED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED"].indexOf(st.state) >= 0) done(1, "task " + st.state);
});
scheduler.on("error", function (e) { done(1, "client error: " + (e && e.message ? e.message : JSON.stringify(e))); });
scheduler.on("ready", function () { scheduler.subscribe(); });
setTimeout(function () { done(1, "timed out"); }, 60000);
