/**
 * `npm run reviewer:add -- <name> <email> [--stage <stage>] [--region <region>]`
 *
 * Invites a moderator to the deployed app's built-in review: creates the user in the stage's
 * reviewer pool (`<stage>-media-pipeline-reviewers`) and adds it to the `reviewers` group. Cognito
 * e-mails the address a temporary password; the review page asks for a new one at first sign-in.
 * Uses the AWS credentials and region of the environment, like the AWS CLI.
 * `--remove` takes the user out of the group instead (the account stays, without review rights).
 */
import { parseArgs } from "node:util";
import {
  AdminAddUserToGroupCommand, AdminCreateUserCommand, AdminRemoveUserFromGroupCommand, CognitoIdentityProviderClient,
  ListUserPoolsCommand, UsernameExistsException,
} from "@aws-sdk/client-cognito-identity-provider";

const GROUP = "reviewers";
const APP = "media-pipeline";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { stage: { type: "string" }, region: { type: "string" }, remove: { type: "boolean", default: false } },
});

async function findPool(client, name) {
  let NextToken;
  do {
    const page = await client.send(new ListUserPoolsCommand({ MaxResults: 60, NextToken }));
    const pool = page.UserPools?.find((p) => p.Name === name);
    if (pool) return pool.Id;
    NextToken = page.NextToken;
  } while (NextToken);
  return undefined;
}

async function main() {
  const [name, email] = positionals;
  const stage = values.stage ?? process.env.SST_STAGE;
  if (!name || (!email && !values.remove) || !stage) {
    process.stderr.write("usage: npm run reviewer:add -- <name> <email> --stage <stage> [--region <region>] [--remove]\n");
    return 1;
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(name)) {
    process.stderr.write(`"${name}" is not a usable reviewer name: 1–64 letters, digits, . _ @ or -\n`);
    return 1;
  }
  if (email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
    process.stderr.write(`"${email}" is not an e-mail address\n`);
    return 1;
  }
  const client = new CognitoIdentityProviderClient(values.region ? { region: values.region } : {});
  const poolName = `${stage}-${APP}-reviewers`;
  const UserPoolId = await findPool(client, poolName);
  if (!UserPoolId) {
    process.stderr.write(`No user pool ${poolName} in this account and region: is stage ${stage} deployed with the built-in review (MEDIA_REVIEW_BACKEND=builtin)?\n`);
    return 1;
  }
  if (values.remove) {
    await client.send(new AdminRemoveUserFromGroupCommand({ UserPoolId, Username: name, GroupName: GROUP }));
    process.stdout.write(`${name} is no longer a reviewer of ${stage} (the account remains in ${poolName})\n`);
    return 0;
  }
  try {
    await client.send(new AdminCreateUserCommand({
      UserPoolId, Username: name, DesiredDeliveryMediums: ["EMAIL"],
      UserAttributes: [{ Name: "email", Value: email }, { Name: "email_verified", Value: "true" }],
    }));
  } catch (error) {
    // An existing user (invited before, or removed from the group) just gets review rights again.
    if (!(error instanceof UsernameExistsException) && error?.name !== "UsernameExistsException") throw error;
  }
  await client.send(new AdminAddUserToGroupCommand({ UserPoolId, Username: name, GroupName: GROUP }));
  process.stdout.write(`${name} <${email}> reviews for ${stage}: Cognito e-mails a temporary password; they choose their own at the first sign-in on the review page.\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`reviewer:add failed: ${error?.name ?? "Error"}: ${error?.message ?? error}\n`);
    process.exitCode = 1;
  },
);
