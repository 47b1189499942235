import { useEffect, useState } from 'react';
import { api, type User } from '../api';

/** The addresses the user may send as (own mailbox first); null until the server answers, the signed-in address if it fails. */
export function useIdentities(user: User): User[] | null {
  const [identities, setIdentities] = useState<User[] | null>(null);
  useEffect(() => {
    api<User[]>('GET', '/identities').then(
      (list) => setIdentities(list?.length ? list : [user]),
      () => setIdentities([user]),
    );
  }, [user]);
  return identities;
}

/** The identity a reply goes out from: the one the message was sent to, else the first. */
export function pickIdentity(identities: User[], recipients: string[]): string {
  const to = new Set(recipients.map((a) => a.toLowerCase()));
  return (identities.find((i) => to.has(i.address.toLowerCase())) ?? identities[0]).address;
}
