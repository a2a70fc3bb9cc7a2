// The signed-in user as React state, following the session module.

import { useSyncExternalStore } from "react";
import { currentUser, onSessionChange, type User } from "./session";

let snapshot: User | null = currentUser();
onSessionChange((user) => {
  snapshot = user;
});

function subscribe(listener: () => void): () => void {
  return onSessionChange(() => listener());
}

export function useUser(): User | null {
  return useSyncExternalStore(subscribe, () => snapshot);
}

export const hasRole = (user: User | null, ...roles: string[]) =>
  !!user && roles.some((role) => user.roles.includes(role));
