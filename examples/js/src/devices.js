// The application under test: forgets a user's remembered device with the AWS SDK
// for JavaScript v3. Nothing here knows about tapedeck: the endpoint comes from the
// environment (AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER), as in a deployment.
import { AdminForgetDeviceCommand, CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";

/**
 * Forgets the device; resolves to "forgotten", or the error's name. Errors are
 * swallowed on purpose, as a sign-out flow does: a test sees no exception when
 * the call goes wrong; tapedeck still does.
 * @param {{ userPoolId: string, username: string, deviceKey: string }} device
 * @returns {Promise<string>}
 */
export async function forgetDevice({ userPoolId, username, deviceKey }) {
  const client = new CognitoIdentityProviderClient({});
  try {
    await client.send(new AdminForgetDeviceCommand({ UserPoolId: userPoolId, Username: username, DeviceKey: deviceKey }));
    return "forgotten";
  } catch (e) {
    return e instanceof Error ? e.name : String(e);
  } finally {
    client.destroy();
  }
}
