//! Tests of the SigV4 module, with independently computed signatures.

use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderName, HeaderValue, Uri};

use super::structure::parse_amz_date;
use super::*;

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const DATE: &str = "20261126T010203Z";
const TARGET: &str = "AWSCognitoIdentityProviderService.AdminForgetDevice";
const BODY: &str = r#"{"UserPoolId": "us-east-1_TapeDeck1", "Username": "tapedeck-user", "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}"#;
const TOKEN: &str = "FAKE-session-token+/=";
// Computed independently with Python 3 (hashlib/hmac only); botocore 1.43 SigV4Auth
// produces the same two values for this request:
//
// import hashlib, hmac
// def mac(k, m): return hmac.new(k, m.encode(), hashlib.sha256).digest()
// def sig(extra):
//     secret, region, service, amz = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "cognito-idp", "20261126T010203Z"
//     body = '{"UserPoolId": "us-east-1_TapeDeck1", "Username": "tapedeck-user", "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}'
//     hs = sorted([("content-type", "application/x-amz-json-1.1"), ("host", "127.0.0.1:4566"), ("x-amz-date", amz),
//                  ("x-amz-target", "AWSCognitoIdentityProviderService.AdminForgetDevice")] + extra)
//     creq = "\n".join(["POST", "/", ""] + [k + ":" + v for k, v in hs] + ["", ";".join(k for k, _ in hs), hashlib.sha256(body.encode()).hexdigest()])
//     scope = amz[:8] + "/" + region + "/" + service + "/aws4_request"
//     sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(creq.encode()).hexdigest()])
//     key = mac(mac(mac(mac(("AWS4" + secret).encode(), amz[:8]), region), service), "aws4_request")
//     return hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
// print(sig([])); print(sig([("x-amz-security-token", "FAKE-session-token+/=")]))
const SIG: &str = "df357e1fe88601410a77cd3e8de5d4916f6d409d9bf3826111ed38b696cdd69b";
const SIG_TOKEN: &str = "068b7728918eb434420f2dc02a6fb92fa49f67dd84f267cba298bad6d831beba";
const SIGNED: &str = "content-type;host;x-amz-date;x-amz-target";

fn auth(signed: &str, sig: &str) -> String {
    format!("AWS4-HMAC-SHA256 Credential={AKID}/20261126/us-east-1/cognito-idp/aws4_request, SignedHeaders={signed}, Signature={sig}")
}
fn request(authorization: Option<&str>) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in [
        ("content-type", "application/x-amz-json-1.1"),
        ("host", "127.0.0.1:4566"),
        ("x-amz-date", DATE),
        ("x-amz-target", TARGET),
        ("user-agent", "Boto3/1.40"),
    ] {
        h.insert(k, v.parse().unwrap());
    }
    if let Some(a) = authorization {
        h.insert(AUTHORIZATION, a.parse().unwrap());
    }
    h
}
fn creds(s: &str) -> Credentials {
    s.parse().unwrap()
}
fn verify(h: &HeaderMap, body: &str, c: &Credentials) -> Result<(), Finding> {
    verify_signature("POST", &Uri::from_static("/"), h, body.as_bytes(), c)
}
fn signed(h: &HeaderMap, region: &str, token: Option<&str>) -> Vec<(HeaderName, HeaderValue)> {
    let aws =
        aws_credential_types::Credentials::new(AKID, SECRET, token.map(Into::into), None, "t");
    let time = parse_amz_date(DATE).unwrap();
    sign_headers(
        "POST",
        &Uri::from_static("/"),
        h,
        BODY.as_bytes(),
        region,
        time,
        &aws,
    )
    .unwrap()
}
fn rules(h: &HeaderMap) -> Vec<&'static str> {
    check_structure(h).iter().map(|f| f.rule).collect()
}
fn assert_clean(f: &Finding) {
    for secret in [SIG, SIG_TOKEN, AKID, SECRET, TOKEN] {
        assert!(!f.message.contains(secret), "{f:?} leaks a secret");
    }
}

#[test]
fn known_answer_verifies_and_tampering_is_caught() {
    let good = creds(&format!("{AKID}:{SECRET}"));
    let h = request(Some(&auth(SIGNED, SIG)));
    assert_eq!(check_structure(&h), vec![]);
    assert_eq!(verify(&h, BODY, &good), Ok(()));
    let mut errs =
        vec![verify(&h, &BODY.replace("tapedeck-user", "tapedeck-usr"), &good).unwrap_err()];
    let mut t = h.clone();
    t.insert(
        "x-amz-target",
        "AWSCognitoIdentityProviderService.AdminDeleteUser"
            .parse()
            .unwrap(),
    );
    errs.push(verify(&t, BODY, &good).unwrap_err());
    errs.push(
        verify(
            &h,
            BODY,
            &creds(&format!("{AKID}:{}", SECRET.replace('w', "W"))),
        )
        .unwrap_err(),
    );
    assert!(errs.iter().all(|f| f.rule == rule::SIGNATURE), "{errs:?}");
    assert!(
        errs[0].message.contains(SIGNED)
            && errs[0].message.contains("20261126")
            && errs[0].message.contains("us-east-1")
    );
    let other = verify(&h, BODY, &creds(&format!("AKIDOTHER:{SECRET}"))).unwrap_err();
    assert_eq!(other.rule, rule::ACCESS_KEY);
    assert!(!other.message.contains("AKIDOTHER"));
    errs.push(other);
    errs.iter().for_each(assert_clean);
}

#[test]
fn sign_headers_matches_known_answer_and_verifies() {
    let time = parse_amz_date(DATE).unwrap();
    assert_eq!(
        httpdate::fmt_http_date(time),
        "Thu, 26 Nov 2026 01:02:03 GMT"
    );
    let get = |out: &[(HeaderName, HeaderValue)], n: &str| {
        let found = out.iter().find(|(k, _)| k == n);
        found.map(|(_, v)| v.to_str().unwrap().to_owned())
    };
    let mut h = request(None);
    let out = signed(&h, "us-east-1", None);
    assert_eq!(get(&out, "authorization").unwrap(), auth(SIGNED, SIG));
    assert_eq!(get(&out, "x-amz-date").unwrap(), DATE);
    assert_eq!(out.len(), 2);
    // With a session token: signed, returned as a header, and verified from the header.
    let out = signed(&h, "us-east-1", Some(TOKEN));
    let with_token = "content-type;host;x-amz-date;x-amz-security-token;x-amz-target";
    assert_eq!(
        get(&out, "authorization").unwrap(),
        auth(with_token, SIG_TOKEN)
    );
    assert_eq!(get(&out, X_AMZ_TOKEN).unwrap(), TOKEN);
    h.extend(out);
    let good = creds(&format!("{AKID}:{SECRET}"));
    assert_eq!(verify(&h, BODY, &good), Ok(()));
    h.insert(X_AMZ_TOKEN, "FAKE-other-token".parse().unwrap());
    let f = verify(&h, BODY, &good).unwrap_err();
    assert_eq!(f.rule, rule::SIGNATURE);
    assert_clean(&f);
}

#[test]
fn unsigned_target_is_a_finding_but_still_verifies() {
    let mut h = request(None);
    h.remove("x-amz-target");
    h.extend(signed(&h, "eu-west-1", None));
    h.insert("x-amz-target", TARGET.parse().unwrap());
    assert_eq!(rules(&h), vec![rule::SIGNED_HEADERS]);
    assert!(check_structure(&h)[0]
        .message
        .contains("lacks x-amz-target"));
    let good = creds(&format!("{AKID}:{SECRET}"));
    assert_eq!(verify(&h, BODY, &good), Ok(()));
}

#[test]
fn parse_tolerates_spacing_separators_and_order() {
    let value = format!("  AWS4-HMAC-SHA256   Signature={SIG},SignedHeaders={SIGNED} ,  Credential={AKID}/20261126/us-east-1/cognito-idp/aws4_request ");
    let a = Authorization::parse(&value).unwrap();
    assert_eq!(
        (a.access_key_id, a.region, a.signed_header_names().count()),
        (AKID, "us-east-1", 4)
    );
    let dbg = format!("{a:?}");
    assert!(
        dbg.contains("AKID…") && !dbg.contains(AKID) && !dbg.contains(SIG),
        "{dbg}"
    );
}

#[test]
fn structural_rules() {
    let base = auth(SIGNED, SIG);
    let re = |from: &str, to: &str| base.replace(from, to);
    let (m, sc, sh) = (rule::MALFORMED, rule::SCOPE, rule::SIGNED_HEADERS);
    // (Authorization value, check_structure rules, verify_signature rule)
    let cases: Vec<(String, Vec<&str>, &str)> = vec![
        (re("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA1 "), vec![m], m),
        (
            base[..base.find(", Signature=").unwrap()].to_owned(),
            vec![m],
            m,
        ),
        (re("/aws4_request", ""), vec![m], m),
        (auth(SIGNED, &SIG.to_uppercase()), vec![m], m),
        (auth(SIGNED, &SIG[..63]), vec![m], m),
        (re("Credential=AKIDEXAMPLE", "Credential="), vec![m], m),
        (re("/cognito-idp/", "/execute-api/"), vec![sc], sc),
        (re("aws4_request", "aws4_reqest"), vec![sc], sc),
        (re("/20261126/", "/2026-11-26/"), vec![sc], sc),
        (re("/20261126/", "/20261125/"), vec![sc], sc),
        (re("/us-east-1/", "//"), vec![sc], sc),
        (
            auth("content-type;host;x-amz-date", SIG),
            vec![sh],
            rule::SIGNATURE,
        ),
        (
            auth("host;content-type;x-amz-date;x-amz-target", SIG),
            vec![sh],
            sh,
        ),
        (
            auth("content-type;Host;x-amz-date;x-amz-target", SIG),
            vec![sh, sh],
            sh,
        ),
        (auth(&format!("{SIGNED};x-extra"), SIG), vec![sh], sh),
        (auth("content-type;x-amz-target", SIG), vec![sh], sh),
    ];
    let good = creds(&format!("{AKID}:{SECRET}"));
    let mut all = Vec::new();
    for (value, expected, verify_rule) in cases {
        let h = request(Some(&value));
        assert_eq!(rules(&h), expected, "{value}");
        let v = verify(&h, BODY, &good).unwrap_err();
        assert_eq!(v.rule, verify_rule, "{value}");
        all.extend(check_structure(&h));
        all.push(v);
    }
    let missing = check_structure(&request(Some(&auth("content-type;x-amz-target", SIG))));
    assert!(
        missing[0].message.contains("lacks host, x-amz-date"),
        "{missing:?}"
    );
    let extra = check_structure(&request(Some(&auth(
        "content-type;host;x-amz-date;x-amz-target;x-extra",
        SIG,
    ))));
    assert!(extra[0].message.contains("`x-extra`"), "{extra:?}");

    let mut h = request(None);
    h.remove("x-amz-date");
    assert_eq!(rules(&h), vec![rule::MISSING]);
    assert_eq!(verify(&h, BODY, &good).unwrap_err().rule, rule::MISSING);
    let mut h = request(Some(&auth(SIGNED, SIG)));
    h.remove("x-amz-date");
    assert_eq!(rules(&h), vec![rule::SIGNED_HEADERS, rule::DATE]);
    for bad in [
        "2026-11-26T01:02:03Z",
        "20261126T250203Z",
        "20260230T010203Z",
        "20261126T010203",
    ] {
        h.insert("x-amz-date", bad.parse().unwrap());
        assert_eq!(rules(&h), vec![rule::DATE], "{bad}");
        assert_eq!(verify(&h, BODY, &good).unwrap_err().rule, rule::DATE);
    }
    h.insert(
        AUTHORIZATION,
        format!("AWS4-HMAC-SHA256 Credential={AKID}")
            .parse()
            .unwrap(),
    );
    assert_eq!(rules(&h), vec![rule::MALFORMED, rule::DATE]);
    all.extend(check_structure(&h));
    all.iter().for_each(assert_clean);
}

#[test]
fn credentials_from_str() {
    let c = creds(&format!("{AKID}:{SECRET}"));
    assert_eq!(c.access_key_id(), AKID);
    assert_eq!(c.secret_access_key, SECRET);
    let dbg = format!("{c:?}");
    assert!(!dbg.contains(SECRET) && !dbg.contains(AKID), "{dbg}");
    assert_eq!(creds("AK:se:cret").secret_access_key, "se:cret");
    for (input, err) in [
        (SECRET, CredentialsError::MissingColon),
        (
            &format!(":{SECRET}") as &str,
            CredentialsError::EmptyAccessKeyId,
        ),
        (&format!("{AKID}:"), CredentialsError::EmptySecret),
        (
            &format!("AK ID:{SECRET}"),
            CredentialsError::InvalidAccessKeyId,
        ),
    ] {
        let e = input.parse::<Credentials>().unwrap_err();
        assert_eq!(e, err);
        let text = format!("{e} {e:?}");
        assert!(!text.contains(SECRET) && !text.contains(AKID), "{text}");
        assert!(e.to_string().contains("AKID:SECRET"), "{e}");
    }
}
