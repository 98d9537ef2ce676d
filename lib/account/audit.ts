/** Who did something to an account, and from where (a signed-in user, never a key). */
export interface AccountActor {
  userId: string;
  isGlobalAdmin: boolean;
  ip?: string | null;
  userAgent?: string | null;
}
