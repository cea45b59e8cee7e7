/**
 * How the review page signs reviewers in: what the server renders into the page (review/page.ts) and
 * the page's script reads back (browser/review/config.ts). No DOM, no Node.
 */

/**
 * `cognito`: a user name and password against a Cognito user pool's app client (the cloud app), with a
 * pasted token as the fallback. `token`: a bearer token pasted by the reviewer (a deployment whose API
 * trusts another OIDC issuer); `hint` says where to get one.
 */
export type ReviewSignIn =
  | {
      kind: "cognito";
      /** The Cognito Identity Provider endpoint, e.g. https://cognito-idp.us-east-1.amazonaws.com/ (or an emulator's). */
      endpoint: string;
      /** The user pool app client (no client secret: the page cannot keep one). */
      clientId: string;
    }
  | { kind: "token"; hint?: string };

/** The review page as a deployment other than the local server serves it. */
export interface ReviewPageOptions {
  signIn?: ReviewSignIn;
  /** Origins the media and keyframe links load from (presigned S3 URLs), e.g. https://bucket.s3.us-east-1.amazonaws.com. */
  media?: string[];
}

/** What the page's script reads: `local` is the local server's reviewer tokens (no config in the page). */
export type PageSignIn = ReviewSignIn | { kind: "local" };

/** The id of the page's `<script type="application/json">` config block. */
export const PAGE_CONFIG_ID = "page-config";
