import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  AdminListGroupsForUserCommand, AdminGetUserCommand, CognitoIdentityProviderClient, CreateGroupCommand, CreateUserPoolCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMoto, type Moto } from "./helpers/moto.js";

/*
 * `npm run reviewer:add` (scripts/add-reviewer.mjs) against moto's Cognito: finds the stage's reviewer
 * pool by name, invites the user, puts it in the reviewers group; again is harmless; --remove takes
 * the rights away.
 */

const run = promisify(execFile);
let moto: Moto;
let cognito: CognitoIdentityProviderClient;
let poolId: string;

beforeAll(async () => {
  moto = await startMoto();
  cognito = new CognitoIdentityProviderClient(moto.clientConfig);
  const { UserPool } = await cognito.send(new CreateUserPoolCommand({ PoolName: "qa-media-pipeline-reviewers", AliasAttributes: ["email"] }));
  poolId = UserPool!.Id!;
  await cognito.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: "reviewers" }));
});
afterAll(async () => {
  await moto?.stop();
});

function addReviewer(...args: string[]) {
  return run(process.execPath, ["scripts/add-reviewer.mjs", ...args], {
    env: {
      ...process.env, AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: moto.endpoint, AWS_REGION: moto.region,
      AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing",
    },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

const groupsOf = async (name: string) =>
  (await cognito.send(new AdminListGroupsForUserCommand({ UserPoolId: poolId, Username: name }))).Groups?.map((g) => g.GroupName);

describe("npm run reviewer:add", () => {
  it("invites a reviewer into the stage's pool and group, harmlessly twice, and takes the rights away with --remove", async () => {
    const added = await addReviewer("alice", "alice@example.com", "--stage", "qa");
    expect(added).toMatchObject({ code: 0, stdout: expect.stringContaining("alice <alice@example.com> reviews for qa") });
    const user = await cognito.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: "alice" }));
    expect(user.UserStatus).toBe("FORCE_CHANGE_PASSWORD");
    expect(user.UserAttributes).toEqual(expect.arrayContaining([{ Name: "email", Value: "alice@example.com" }]));
    expect(await groupsOf("alice")).toEqual(["reviewers"]);

    expect((await addReviewer("alice", "alice@example.com", "--stage", "qa")).code).toBe(0);
    expect(await groupsOf("alice")).toEqual(["reviewers"]);

    expect((await addReviewer("alice", "--remove", "--stage", "qa")).code).toBe(0);
    expect(await groupsOf("alice")).toEqual([]);
  });

  it("says which pool it looked for when the stage has none, and refuses bad input before any call", async () => {
    const missing = await addReviewer("bob", "bob@example.com", "--stage", "prod");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No user pool prod-media-pipeline-reviewers .*MEDIA_REVIEW_BACKEND=builtin/);
    expect((await addReviewer("bob", "not-an-address", "--stage", "qa")).stderr).toMatch(/not an e-mail address/);
    expect((await addReviewer("bob", "bob@example.com")).stderr).toMatch(/usage:/);
  });
});
