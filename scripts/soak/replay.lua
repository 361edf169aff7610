-- wrk script for scripts/soak.sh: every connection sends the bundled
-- unknown-user AdminForgetDevice request; any answer but its 400
-- UserNotFoundException counts as an error. done() prints one line that
-- soak.sh parses: "soak-wrk: requests N unexpected M".
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "AWSCognitoIdentityProviderService.AdminForgetDevice"
wrk.body = '{"UserPoolId": "us-east-1_TapeDeck1", "Username": "tapedeck-ghost", "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}'

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    unexpected = 0
end

function response(status, headers, body)
    if status ~= 400 or not string.find(body, "UserNotFoundException", 1, true) then
        unexpected = unexpected + 1
    end
end

function done(summary, latency, requests)
    local bad = 0
    for _, t in ipairs(threads) do
        bad = bad + t:get("unexpected")
    end
    io.write(string.format("soak-wrk: requests %d unexpected %d\n", summary.requests, bad))
end
