import { createContext, useContext, useSyncExternalStore } from 'react';
import type { InspectorSession } from './inspector-session.js';

export const SessionContext = createContext<InspectorSession | undefined>(undefined);

/** The inspector's session; the component draws again whenever the session says it changed. */
export function useSession(): InspectorSession {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession needs a SessionContext above it');
  useSyncExternalStore(session.subscribe, session.getSnapshot);
  return session;
}
