import { redirect } from "next/navigation";
import { listMyWorkspaces } from "@/lib/auth/current";

export default async function Home() {
  const workspaces = await listMyWorkspaces();
  if (workspaces.length > 0) redirect(`/w/${workspaces[0].slug}/account/api`);
  return (
    <div className="mx-auto max-w-md py-16 text-center">
      <h1 className="text-xl font-semibold">No workspace yet</h1>
      <p className="mt-2 text-sm text-muted-foreground">You are not a member of any workspace. Ask a workspace Admin to add you.</p>
    </div>
  );
}
