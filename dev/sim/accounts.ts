// A venue's accounts: API keys and free/locked balances per asset. Orders move funds through `funds()`.

import { clean } from "./numbers.ts";
import { SimRejection } from "./rejection.ts";
import type { Account, AccountConfig, BalanceEntry } from "./types.ts";

/** Free and locked amounts of one asset; mutable, owned by the account. */
export interface Funds {
  free: number;
  locked: number;
}

interface AccountState extends Account {
  bnbFees: boolean;
  balances: Map<string, Funds>;
}

export class AccountBook {
  private readonly accounts = new Map<string, AccountState>();
  private readonly accountsByKey = new Map<string, AccountState>();

  constructor(private readonly venue: string) {}

  add(config: AccountConfig, id = `${this.venue}-account-${this.accounts.size + 1}`): Account {
    if (this.accountsByKey.has(config.apiKey)) {
      throw new SimRejection("invalid_parameter", `apiKey already used: ${config.apiKey}`);
    }
    const state: AccountState = {
      id,
      apiKey: config.apiKey,
      secret: config.secret,
      passphrase: config.passphrase,
      bnbFees: config.bnbFees ?? false,
      balances: new Map(),
    };
    for (const [asset, free] of Object.entries(config.balances)) state.balances.set(asset, { free, locked: 0 });
    this.accounts.set(id, state);
    this.accountsByKey.set(config.apiKey, state);
    return publicAccount(state);
  }

  byApiKey(apiKey: string): Account | undefined {
    const state = this.accountsByKey.get(apiKey);
    return state ? publicAccount(state) : undefined;
  }

  list(): Account[] {
    return [...this.accounts.values()].map(publicAccount);
  }

  /** Throws unless the account exists. */
  assertExists(accountId: string): void {
    this.state(accountId);
  }

  /** All assets the account has ever held, zero balances included, sorted by asset. */
  balances(accountId: string): BalanceEntry[] {
    return [...this.state(accountId).balances.entries()]
      .map(([asset, b]) => ({ asset, free: clean(b.free), locked: clean(b.locked) }))
      .sort((a, b) => a.asset.localeCompare(b.asset));
  }

  balance(accountId: string, asset: string): BalanceEntry {
    const b = this.state(accountId).balances.get(asset) ?? { free: 0, locked: 0 };
    return { asset, free: clean(b.free), locked: clean(b.locked) };
  }

  /** Sets the free amount (and optionally the locked amount) of an asset directly: a test and admin tool. */
  setBalance(accountId: string, asset: string, free: number, locked?: number): void {
    const account = this.state(accountId);
    const current = account.balances.get(asset) ?? { free: 0, locked: 0 };
    account.balances.set(asset, { free, locked: locked ?? current.locked });
  }

  /** Turns Binance's "use BNB to pay fees" on or off for the account. */
  setBnbFees(accountId: string, enabled: boolean): void {
    this.state(accountId).bnbFees = enabled;
  }

  bnbFees(accountId: string): boolean {
    return this.state(accountId).bnbFees;
  }

  /** The live funds record of an asset, created at zero when the account never held it. */
  funds(accountId: string, asset: string): Funds {
    const account = this.state(accountId);
    let b = account.balances.get(asset);
    if (!b) {
      b = { free: 0, locked: 0 };
      account.balances.set(asset, b);
    }
    return b;
  }

  private state(accountId: string): AccountState {
    const account = this.accounts.get(accountId);
    if (!account) throw new SimRejection("invalid_parameter", `unknown account: ${accountId}`);
    return account;
  }
}

function publicAccount(state: AccountState): Account {
  return {
    id: state.id,
    apiKey: state.apiKey,
    secret: state.secret,
    passphrase: state.passphrase,
    bnbFees: state.bnbFees,
  };
}
