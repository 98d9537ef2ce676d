"use client";

import Link from "next/link";
import { useParams } from "next/navigation";
import { Check, ChevronsUpDown } from "lucide-react";
import { Button } from "@/components/ui/button";
import { DropdownMenu, DropdownMenuContent, DropdownMenuItem, DropdownMenuLabel, DropdownMenuTrigger } from "@/components/ui/dropdown-menu";

export interface SwitcherWorkspace {
  slug: string;
  name: string;
  roleLabel: string | null;
}

export function WorkspaceSwitcher({ workspaces }: { workspaces: SwitcherWorkspace[] }) {
  const { slug } = useParams<{ slug?: string }>();
  const current = workspaces.find((w) => w.slug === slug);
  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="outline" size="sm" className="min-w-0" aria-label={`Workspace: ${current?.name ?? "choose a workspace"}. Switch workspace`}>
          <span className="max-w-24 truncate sm:max-w-48">{current?.name ?? "Choose a workspace"}</span>
          <ChevronsUpDown aria-hidden="true" className="text-muted-foreground" />
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="start" className="w-64">
        <DropdownMenuLabel>Workspaces</DropdownMenuLabel>
        {workspaces.length === 0 ? (
          <p className="px-2 py-1.5 text-sm text-muted-foreground">You are not a member of any workspace yet.</p>
        ) : (
          workspaces.map((w) => (
            <DropdownMenuItem key={w.slug} asChild>
              <Link href={`/w/${w.slug}/account/api`} aria-current={w.slug === slug ? "page" : undefined}>
                <Check aria-hidden="true" className={w.slug === slug ? "" : "invisible"} />
                <span className="flex-1 truncate">{w.name}</span>
                {w.roleLabel ? <span className="text-xs text-muted-foreground">{w.roleLabel}</span> : null}
              </Link>
            </DropdownMenuItem>
          ))
        )}
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
