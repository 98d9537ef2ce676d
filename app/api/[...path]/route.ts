// GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS /api/** (but /api/auth/**): the REST API
// Every endpoint is an entry in lib/api/operations; lib/api/dispatch.ts routes them, here and in
// the lean listener the production server puts in front of Next (lib/api/listener.ts).
import { dispatch } from "@/lib/api/dispatch";

export const dynamic = "force-dynamic";

type Route = { params: Promise<{ path: string[] }> };

const handle = async (req: Request, { params }: Route) => dispatch(req, ["api", ...(await params).path]);

export { handle as GET, handle as POST, handle as PUT, handle as PATCH, handle as DELETE, handle as HEAD, handle as OPTIONS };
